/* The evidence of a positive text in C: where in it a head's score came from.
 *
 * Half of the _hashsum extension (see _hashsum.c for the interface). char_weights repeats
 * evidence.spread_weights' float operations in the same order, and phrase_spans is
 * evidence.spans_of, so spans are the numpy path's whether or not the extension is built.
 */
#include "_hashsum.h"

/* Adds each character n-gram's share (its weight / its length in the original text) to A at
 * its start and to B at its end, in numpy's order (orders 1..max_order, starts ascending).
 * The buckets are hashed and their rows prefetched first: the rows are scattered over a
 * megabyte, and waiting for each miss in turn would cost more than the arithmetic. */
static void spread(const uint32_t *cps, Py_ssize_t len, int max_order, int shift,
                   const int8_t *w, Py_ssize_t cols, const int64_t *src_s, const int64_t *src_e,
                   uint64_t *acc, int32_t *rows, double *a, double *b, Py_ssize_t *count) {
    Py_ssize_t m = 0;
    for (int n = 1; n <= max_order && n <= len; n++) {
        for (Py_ssize_t i = 0; i + n <= len; i++) {
            acc[i] = n == 1 ? (uint64_t)cps[i] + 1 : acc[i] * K_GOLD + ((uint64_t)cps[i + n - 1] + 1);
            if (n == 1 && cps[i] < 128) {
                rows[m++] = -1; /* single Latin letters carry no feature */
                continue;
            }
            uint64_t h = acc[i] * MIX;
            h ^= h >> 31;
            rows[m] = (int32_t)(h >> shift);
            __builtin_prefetch(w + (size_t)rows[m] * (size_t)cols);
            m++;
        }
    }
    m = 0;
    for (int n = 1; n <= max_order && n <= len; n++) {
        for (Py_ssize_t i = 0; i + n <= len; i++, m++) {
            if (rows[m] < 0) continue;
            int64_t start = src_s ? src_s[i] : (int64_t)i;
            int64_t end = src_e ? src_e[i + n - 1] : (int64_t)(i + n);
            double share = (double)w[(size_t)rows[m] * (size_t)cols] / (double)(end - start);
            a[start] += share;
            b[end] += share;
            (*count)++;
        }
    }
}

PyObject *hs_char_weights(PyObject *self, PyObject *args) {
    PyObject *text, *spec, *tables, *weights, *runs_obj;
    Py_ssize_t col;
    Spec s;
    Tables t;
    Py_buffer w;
    if (!PyArg_ParseTuple(args, "OOOOnO", &text, &spec, &tables, &weights, &col, &runs_obj))
        return NULL;
    if (hs_parse(text, spec, tables, &s, &t) < 0) return NULL;
    if (PyObject_GetBuffer(weights, &w, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND) < 0) {
        hs_release(&t);
        return NULL;
    }
    PyObject *result = NULL, *runs = NULL;
    uint32_t *cps = NULL;
    uint64_t *acc = NULL;
    int32_t *rows = NULL;
    int64_t *src_s = NULL, *src_e = NULL;
    double *a = NULL, *b = NULL;
    Py_ssize_t n_src = PyUnicode_GET_LENGTH(text), nruns = 0;
    if (w.ndim != 2 || w.itemsize != 1 || w.format == NULL || strcmp(w.format, "b") != 0 ||
        w.shape[0] != ((Py_ssize_t)1 << s.bits) || col < 0 || col >= w.shape[1]) {
        PyErr_SetString(PyExc_ValueError, "weights must be an int8 matrix of 2**bits rows");
        goto done;
    }
    if (runs_obj != Py_None) {
        runs = PySequence_Fast(runs_obj, "runs must be a sequence of (start, end)");
        if (runs == NULL) goto done;
        nruns = PySequence_Fast_GET_SIZE(runs);
    }
    cps = malloc(sizeof(uint32_t) * ((size_t)n_src + 1));
    acc = malloc(sizeof(uint64_t) * ((size_t)n_src + 1));
    rows = malloc(sizeof(int32_t) * ((size_t)n_src * (size_t)s.max_order + 1));
    a = calloc((size_t)n_src + 1, sizeof(double));
    b = calloc((size_t)n_src + 1, sizeof(double));
    if (nruns) {
        src_s = malloc(sizeof(int64_t) * ((size_t)n_src + 1));
        src_e = malloc(sizeof(int64_t) * ((size_t)n_src + 1));
    }
    if (cps == NULL || acc == NULL || rows == NULL || a == NULL || b == NULL ||
        (nruns && (src_s == NULL || src_e == NULL))) {
        PyErr_NoMemory();
        goto done;
    }
    /* the view: every digit run [start, end) of text read as one DIGIT symbol covering it */
    Py_ssize_t len = 0;
    {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        const uint32_t *punct = t.punct.buf;
        Py_ssize_t i = 0, r = 0;
        while (i < n_src) {
            Py_ssize_t rs = n_src, re = n_src;
            if (r < nruns) {
                PyObject *item = PySequence_Fast_GET_ITEM(runs, r);
                if (!PyArg_ParseTuple(item, "nn", &rs, &re)) goto done;
                if (rs < i || re <= rs || re > n_src) {
                    PyErr_SetString(PyExc_ValueError, "runs must be ordered, disjoint and inside text");
                    goto done;
                }
            }
            for (; i < rs; i++, len++) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                cps[len] = punct[c > 0xFFFF ? 0xFFFF : c];
                if (nruns) { src_s[len] = i; src_e[len] = i + 1; }
            }
            if (r < nruns) {
                cps[len] = punct[DIGIT];
                src_s[len] = rs;
                src_e[len] = re;
                len++;
                i = re;
                r++;
            }
        }
        if (r < nruns) {
            PyErr_SetString(PyExc_ValueError, "runs must be ordered, disjoint and inside text");
            goto done;
        }
    }
    Py_ssize_t count = 0;
    spread(cps, len, s.max_order, 64 - s.bits, (const int8_t *)w.buf + col, w.shape[1],
           src_s, src_e, acc, rows, a, b, &count);
    /* numpy: cumsum(bincount(starts) - bincount(ends)), summed left to right */
    if (n_src > 0) {
        a[0] = a[0] - b[0];
        for (Py_ssize_t i = 1; i < n_src; i++) a[i] = a[i - 1] + (a[i] - b[i]);
    }
    PyObject *bytes = PyByteArray_FromStringAndSize((const char *)a, n_src * (Py_ssize_t)sizeof(double));
    if (bytes != NULL) result = Py_BuildValue("(Nn)", bytes, count);
done:
    Py_XDECREF(runs);
    free(cps);
    free(acc);
    free(rows);
    free(src_s);
    free(src_e);
    free(a);
    free(b);
    PyBuffer_Release(&w);
    hs_release(&t);
    return result;
}

typedef struct {
    Py_ssize_t lo, hi;
    double total;
} Run;

/* heaviest first; equal totals in text order (numpy's stable argsort of -total) */
static int cmp_run(const void *x, const void *y) {
    const Run *a = x, *b = y;
    if (a->total != b->total) return a->total < b->total ? 1 : -1;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

static int cmp_span(const void *x, const void *y) {
    const Py_ssize_t *a = x, *b = y;
    if (a[0] != b[0]) return (a[0] > b[0]) - (a[0] < b[0]);
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* evidence.spans_of in C: the k heaviest positive runs of per_char (gaps clamped to <= 0),
 * each cut to its heaviest window of max_len characters and widened to whole ASCII words. */
PyObject *hs_phrase_spans(PyObject *self, PyObject *args) {
    PyObject *text, *punct_obj;
    Py_buffer punct, pcb;
    Py_ssize_t k, max_len;
    if (!PyArg_ParseTuple(args, "OOy*nn", &text, &punct_obj, &pcb, &k, &max_len)) return NULL;
    PyObject *result = NULL;
    double *pc = NULL, *csum = NULL;
    Run *runs = NULL;
    Py_ssize_t *spans = NULL;
    uint8_t *words = NULL;
    if (PyObject_GetBuffer(punct_obj, &punct, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&pcb);
        return NULL;
    }
    if (!PyUnicode_Check(text) || punct.len != 0x10000 * 4 || max_len < 1) {
        PyErr_SetString(PyExc_ValueError, "need a str, the punctuation table and max_len >= 1");
        goto done;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) goto done;
#endif
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (pcb.len != n * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "per_char must hold one float64 per character");
        goto done;
    }
    result = PyList_New(0);
    if (result == NULL || n == 0 || k <= 0) goto done;
    pc = malloc(sizeof(double) * (size_t)n);
    csum = malloc(sizeof(double) * ((size_t)n + 1));
    runs = malloc(sizeof(Run) * ((size_t)n / 2 + 1));
    words = malloc((size_t)n + 2);
    if (pc == NULL || csum == NULL || runs == NULL || words == NULL) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    memcpy(pc, pcb.buf, sizeof(double) * (size_t)n);
    {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        const uint32_t *table = punct.buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            int gap = table[c > 0xFFFF ? 0xFFFF : c] == 0x20 || c <= 0x20;
            if (gap && pc[i] > 0.0) pc[i] = 0.0; /* spaces and punctuation never carry weight */
            words[i] = c < 128 && is_word_char(c);
        }
    }
    Py_ssize_t nr = 0;
    csum[0] = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) csum[i + 1] = csum[i] + pc[i];
    for (Py_ssize_t i = 0; i < n;) {
        if (!(pc[i] > 0.0)) { i++; continue; }
        Py_ssize_t j = i;
        while (j < n && pc[j] > 0.0) j++;
        runs[nr].lo = i;
        runs[nr].hi = j;
        runs[nr].total = csum[j] - csum[i];
        nr++;
        i = j;
    }
    qsort(runs, (size_t)nr, sizeof(Run), cmp_run);
    Py_ssize_t m = nr < k ? nr : k;
    spans = malloc(sizeof(Py_ssize_t) * 2 * ((size_t)m + 1));
    if (spans == NULL) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < m; r++) {
        Py_ssize_t lo = runs[r].lo, hi = runs[r].hi, s0 = lo, e0 = hi;
        if (hi - lo > max_len) { /* the heaviest window: csum of the run, first maximum */
            double acc = 0.0, best = 0.0;
            csum[0] = 0.0;
            for (Py_ssize_t j = lo; j < hi; j++) csum[j - lo + 1] = acc = acc + pc[j];
            for (Py_ssize_t j = 0; j + max_len <= hi - lo; j++) {
                double w = csum[j + max_len] - csum[j];
                if (j == 0 || w > best) { best = w; s0 = lo + j; }
            }
            e0 = s0 + max_len;
        }
        while (s0 > 0 && words[s0 - 1] && words[s0]) s0--;
        while (e0 < n && words[e0 - 1] && words[e0]) e0++;
        spans[2 * r] = s0;
        spans[2 * r + 1] = e0;
    }
    qsort(spans, (size_t)m, sizeof(Py_ssize_t) * 2, cmp_span);
    for (Py_ssize_t r = 0; r < m; r++) {
        PyObject *item = Py_BuildValue("(nn)", spans[2 * r], spans[2 * r + 1]);
        if (item == NULL || PyList_Append(result, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(item);
    }
done:
    free(pc);
    free(csum);
    free(runs);
    free(spans);
    free(words);
    PyBuffer_Release(&punct);
    PyBuffer_Release(&pcb);
    return result;
}
