/* Hashed n-gram features and their weight sums in one pass: the classifier's hot loop in C.
 *
 * Optional accelerator for hegui.safety.classifier.features / .model. Every hash is the same
 * 64-bit arithmetic as the numpy reference (features.py), so the bucket multiset is identical,
 * and the weight sums are exact integers (int8 rows summed in int64), as in numpy's float32
 * sums below 2**24. When this module is not built, the numpy path runs instead.
 *
 *   buckets(text, spec, tables)          -> bytes of int32 buckets (the same multiset as featurize)
 *   sums(text, spec, tables, weights[, fold])
 *                                        -> (tuple of int column sums, number of buckets); with
 *                                           fold, row b >> fold (a head over fewer buckets)
 *   char_weights(text, spec, tables, weights, col, runs)
 *                                        -> (bytearray of float64 per character, number of n-grams):
 *                                           every character n-gram's weight (column col) spread
 *                                           over the characters it covers, exactly as
 *                                           evidence.spread_weights computes it in numpy
 *   phrase_spans(text, punct, per_char, k, max_len)
 *                                        -> [(start, end), ...]: evidence.spans_of
 *   (char_weights and phrase_spans, the evidence of a positive text, are in _hashsum_evidence.c)
 *
 * spec   = (bits, max_order, words, word_bigrams, word_skips, pinyin, unique)
 * tables = (punct uint32[65536], word_pos uint64[32], pinyin uint8[(0xA000-0x4E00)*6] or None)
 * weights: C-contiguous int8 matrix of 2**bits rows (2**(bits - fold) with fold).
 * runs   = None or ordered (start, end) digit runs of text (digits.digit_runs): the n-grams are
 *          read over the view where each run is one DIGIT, their spans stay in text.
 */
#include "_hashsum.h"

static inline void emit(Out *o, uint64_t h) {
    h *= MIX;
    h ^= h >> 31;
    o->b[o->n++] = (int32_t)(h >> o->shift);
}

/* character n-grams: order 1 only outside ASCII, orders 2..max_order everywhere */
static void char_ngrams(Out *o, const uint32_t *cps, Py_ssize_t len, int max_order) {
    for (Py_ssize_t i = 0; i < len; i++) {
        if (cps[i] >= 128) emit(o, (uint64_t)cps[i] + 1);
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        uint64_t acc = (uint64_t)cps[i] + 1;
        for (int n = 2; n <= max_order && i + n <= len; n++) {
            acc = acc * K_GOLD + ((uint64_t)cps[i + n - 1] + 1);
            emit(o, acc);
        }
    }
}

/* ASCII words ([a-z0-9'], 2+ chars), their adjacent pairs and pairs up to `skips` apart */
static int word_features(Out *o, const uint32_t *cps, Py_ssize_t len, const uint64_t *pos,
                         int bigrams, int skips) {
    uint64_t stack_words[256];
    uint64_t *words = stack_words;
    Py_ssize_t nw = 0, cap = 256;
    Py_ssize_t i = 0;
    while (i < len) {
        if (!is_word_char(cps[i])) { i++; continue; }
        Py_ssize_t j = i;
        uint64_t h = 0;
        while (j < len && is_word_char(cps[j])) {
            Py_ssize_t off = j - i;
            h += ((uint64_t)cps[j] + 1) * pos[off < MAX_WORD ? off : MAX_WORD - 1];
            j++;
        }
        if (j - i >= 2) {
            if (nw == cap) {
                uint64_t *grown = malloc(sizeof(uint64_t) * (size_t)cap * 2);
                if (grown == NULL) { if (words != stack_words) free(words); return -1; }
                memcpy(grown, words, sizeof(uint64_t) * (size_t)nw);
                if (words != stack_words) free(words);
                words = grown;
                cap *= 2;
            }
            words[nw++] = h;
        }
        i = j;
    }
    for (Py_ssize_t k = 0; k < nw; k++) emit(o, words[k] ^ WORD_SALT);
    if (bigrams && nw > 1) {
        for (Py_ssize_t k = 0; k + 1 < nw; k++) emit(o, (words[k] * K_GOLD + words[k + 1]) ^ BIGRAM_SALT);
    }
    for (Py_ssize_t gap = 1; gap <= skips && gap <= nw - 1; gap++) {
        for (Py_ssize_t k = 0; k + gap < nw; k++) emit(o, (words[k] * K_GOLD + words[k + gap]) ^ SKIP_SALT);
    }
    if (words != stack_words) free(words);
    return 0;
}

/* letter 5-grams of the toneless pinyin reading (CJK → its letters, a-z → itself) */
static int pinyin_ngrams(Out *o, const uint32_t *cps, Py_ssize_t len, const uint8_t *table) {
    int any = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (cps[i] >= PY_FIRST && cps[i] < PY_LAST) { any = 1; break; }
    }
    if (!any) return 0;
    uint8_t *letters = malloc((size_t)len * PY_WIDTH + 1);
    if (letters == NULL) return -1;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        uint32_t c = cps[i];
        if (c >= PY_FIRST && c < PY_LAST) {
            const uint8_t *row = table + (size_t)(c - PY_FIRST) * PY_WIDTH;
            for (int k = 0; k < PY_WIDTH; k++) if (row[k]) letters[m++] = row[k];
        } else if (c >= 97 && c <= 122) {
            letters[m++] = (uint8_t)c;
        }
    }
    for (Py_ssize_t i = 0; i + PY_ORDER <= m; i++) {
        uint64_t acc = (uint64_t)letters[i] + 1;
        for (int n = 1; n < PY_ORDER; n++) acc = acc * K_GOLD + ((uint64_t)letters[i + n] + 1);
        emit(o, acc ^ PY_SALT);
    }
    free(letters);
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Fills o->b (caller frees when it is not `stack`); returns -1 with an exception set. */
static int featurize(PyObject *text, const Spec *s, const Tables *t, Out *o, int32_t *stack) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const uint32_t *punct = t->punct.buf;
    size_t bound = (size_t)len * (size_t)(s->max_order + 3 + s->skips + (s->pinyin ? PY_WIDTH : 0)) + 16;
    uint32_t *cps = malloc(sizeof(uint32_t) * ((size_t)len + 1));
    o->b = bound <= STACK_ITEMS ? stack : malloc(sizeof(int32_t) * bound);
    o->n = 0;
    o->shift = 64 - s->bits;
    if (cps == NULL || o->b == NULL) goto nomem;
    int cjk = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        uint32_t m = punct[c > 0xFFFF ? 0xFFFF : c];
        cps[i] = m;
        cjk |= (m >= 0x3400 && m < 0xA000);
    }
    char_ngrams(o, cps, len, s->max_order);
    if (s->words && word_features(o, cps, len, t->word_pos.buf, s->bigrams, cjk ? 0 : s->skips) < 0)
        goto nomem;
    if (s->pinyin && pinyin_ngrams(o, cps, len, t->pinyin.buf) < 0) goto nomem;
    free(cps);
    if (s->unique && o->n > 1) {
        qsort(o->b, (size_t)o->n, sizeof(int32_t), cmp_i32);
        Py_ssize_t w = 1;
        for (Py_ssize_t i = 1; i < o->n; i++) if (o->b[i] != o->b[w - 1]) o->b[w++] = o->b[i];
        o->n = w;
    }
    return 0;
nomem:
    free(cps);
    if (o->b != stack) free(o->b);
    o->b = NULL;
    PyErr_NoMemory();
    return -1;
}

void hs_release(Tables *t) {
    PyBuffer_Release(&t->punct);
    PyBuffer_Release(&t->word_pos);
    if (t->has_pinyin) PyBuffer_Release(&t->pinyin);
}

int hs_parse(PyObject *text, PyObject *spec, PyObject *tables, Spec *s, Tables *t) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be a str");
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return -1; /* legacy strings; a no-op from 3.12 on */
#endif
    if (!PyArg_ParseTuple(spec, "iiiiiii", &s->bits, &s->max_order, &s->words, &s->bigrams,
                          &s->skips, &s->pinyin, &s->unique))
        return -1;
    if (s->bits < 1 || s->bits > 31 || s->max_order < 1 || s->skips < 0) {
        PyErr_SetString(PyExc_ValueError, "bad feature spec");
        return -1;
    }
    PyObject *punct, *pos, *pinyin;
    if (!PyArg_ParseTuple(tables, "OOO", &punct, &pos, &pinyin)) return -1;
    memset(t, 0, sizeof(*t));
    if (PyObject_GetBuffer(punct, &t->punct, PyBUF_C_CONTIGUOUS) < 0) return -1;
    if (PyObject_GetBuffer(pos, &t->word_pos, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&t->punct);
        return -1;
    }
    t->has_pinyin = pinyin != Py_None;
    if (t->has_pinyin && PyObject_GetBuffer(pinyin, &t->pinyin, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&t->punct);
        PyBuffer_Release(&t->word_pos);
        return -1;
    }
    const char *bad = NULL;
    if (t->punct.len != 0x10000 * 4) bad = "punctuation table must be 65536 uint32";
    else if (t->word_pos.len != MAX_WORD * 8) bad = "word positions must be 32 uint64";
    else if (s->pinyin && !t->has_pinyin) bad = "this feature spec needs the model's pinyin table";
    else if (t->has_pinyin && t->pinyin.len != (PY_LAST - PY_FIRST) * PY_WIDTH)
        bad = "pinyin table has the wrong size";
    if (bad != NULL) {
        hs_release(t);
        PyErr_SetString(PyExc_ValueError, bad);
        return -1;
    }
    return 0;
}

static PyObject *py_buckets(PyObject *self, PyObject *args) {
    PyObject *text, *spec, *tables;
    Spec s;
    Tables t;
    Out o;
    int32_t stack[STACK_ITEMS];
    if (!PyArg_ParseTuple(args, "OOO", &text, &spec, &tables)) return NULL;
    if (hs_parse(text, spec, tables, &s, &t) < 0) return NULL;
    int rc = featurize(text, &s, &t, &o, stack);
    hs_release(&t);
    if (rc < 0) return NULL;
    PyObject *out = PyBytes_FromStringAndSize((const char *)o.b, o.n * (Py_ssize_t)sizeof(int32_t));
    if (o.b != stack) free(o.b);
    return out;
}

#define PART_ROWS (1 << 24) /* 127 * 2**24 < 2**31: int32 partial sums cannot overflow */

#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=cheap")))
#else
#define VECTORIZE
#endif

VECTORIZE static void add_part(const int8_t *restrict row, int32_t *restrict part, Py_ssize_t cols) {
    for (Py_ssize_t c = 0; c < cols; c++) part[c] += row[c];
}

/* acc[c] += sum of base[(b[i] >> fold) * cols + c]: int32 partial sums (which the compiler
 * can vectorise) added to the int64 totals every PART_ROWS rows. */
static int add_rows(const int8_t *base, const int32_t *b, Py_ssize_t n, int fold, Py_ssize_t cols,
                    int64_t *acc) {
    int32_t part_stack[64];
    int32_t *part = cols <= 64 ? part_stack : malloc(sizeof(int32_t) * (size_t)cols);
    if (part == NULL) return -1;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t stop = n - i > PART_ROWS ? i + PART_ROWS : n;
        memset(part, 0, sizeof(int32_t) * (size_t)cols);
        for (; i < stop; i++) add_part(base + (size_t)(b[i] >> fold) * (size_t)cols, part, cols);
        for (Py_ssize_t c = 0; c < cols; c++) acc[c] += part[c];
    }
    if (part != part_stack) free(part);
    return 0;
}

static PyObject *py_sums(PyObject *self, PyObject *args) {
    PyObject *text, *spec, *tables, *weights;
    Spec s;
    Tables t;
    Out o;
    Py_buffer w;
    int fold = 0;
    int32_t stack[STACK_ITEMS];
    int64_t acc_stack[64];
    if (!PyArg_ParseTuple(args, "OOOO|i", &text, &spec, &tables, &weights, &fold)) return NULL;
    if (hs_parse(text, spec, tables, &s, &t) < 0) return NULL;
    if (fold < 0 || fold >= s.bits) {
        hs_release(&t);
        PyErr_SetString(PyExc_ValueError, "fold must be in [0, bits)");
        return NULL;
    }
    if (PyObject_GetBuffer(weights, &w, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND) < 0) {
        hs_release(&t);
        return NULL;
    }
    PyObject *result = NULL;
    if (w.ndim != 2 || w.itemsize != 1 || w.format == NULL || strcmp(w.format, "b") != 0 ||
        w.shape[0] != ((Py_ssize_t)1 << (s.bits - fold))) {
        PyErr_SetString(PyExc_ValueError, "weights must be an int8 matrix of 2**bits rows");
        goto done;
    }
    Py_ssize_t cols = w.shape[1];
    int64_t *acc = cols <= 64 ? acc_stack : calloc((size_t)cols, sizeof(int64_t));
    if (acc == NULL) { PyErr_NoMemory(); goto done; }
    memset(acc, 0, sizeof(int64_t) * (size_t)cols);
    if (featurize(text, &s, &t, &o, stack) == 0) {
        const int8_t *base = w.buf;
        /* the rows are scattered over megabytes and mostly out of cache in a busy server:
           ask for all of them first, so the misses overlap instead of queueing */
        for (Py_ssize_t i = 0; i < o.n; i++)
            __builtin_prefetch(base + (size_t)(o.b[i] >> fold) * (size_t)cols);
        if (add_rows(base, o.b, o.n, fold, cols, acc) < 0) PyErr_NoMemory();
        else {
        PyObject *tup = PyTuple_New(cols);
        if (tup != NULL) {
            for (Py_ssize_t c = 0; c < cols; c++) PyTuple_SET_ITEM(tup, c, PyLong_FromLongLong(acc[c]));
            result = Py_BuildValue("(Nn)", tup, o.n);
        }
        }
        if (o.b != stack) free(o.b);
    }
    if (acc != acc_stack) free(acc);
done:
    PyBuffer_Release(&w);
    hs_release(&t);
    return result;
}

static PyMethodDef methods[] = {
    {"buckets", py_buckets, METH_VARARGS, "Feature buckets of text as int32 bytes (featurize's)."},
    {"sums", py_sums, METH_VARARGS, "(column sums of the weight rows, number of buckets)."},
    {"char_weights", hs_char_weights, METH_VARARGS,
     "(float64 bytes: n-gram weights spread over the characters, number of n-grams)."},
    {"phrase_spans", hs_phrase_spans, METH_VARARGS,
     "Evidence spans from per-character weights (evidence.spans_of)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hashsum", "Hashed n-gram features and weight sums in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__hashsum(void) { return PyModule_Create(&module); }
