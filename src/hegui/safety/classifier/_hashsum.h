/* Shared by the two halves of the _hashsum extension (_hashsum.c: features and weight sums;
 * _hashsum_evidence.c: the evidence of a positive text). See _hashsum.c for the interface. */
#ifndef HEGUI_HASHSUM_H
#define HEGUI_HASHSUM_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define K_GOLD 0x9E3779B97F4A7C15ULL
#define MIX 0xBF58476D1CE4E5B9ULL
#define WORD_SALT 0x94D049BB133111EBULL
#define BIGRAM_SALT 0x2545F4914F6CDD1DULL
#define SKIP_SALT 0x7FB5D329728EA185ULL
#define PY_SALT 0xD6E8FEB86659FD93ULL
#define PY_FIRST 0x4E00
#define PY_LAST 0xA000
#define PY_WIDTH 6
#define PY_ORDER 5
#define MAX_WORD 32
#define STACK_ITEMS 4096
#define DIGIT '0' /* digits.DIGIT_SYMBOL: what a digit run reads as */

typedef struct {
    int bits, max_order, words, bigrams, skips, pinyin, unique;
} Spec;

typedef struct {
    Py_buffer punct, word_pos, pinyin;
    int has_pinyin;
} Tables;

typedef struct {
    int32_t *b;
    Py_ssize_t n;
    int shift;
} Out;

/* the characters of an ASCII word ([a-z0-9']): features.py's _ASCII_WORD */
static inline int is_word_char(uint32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

/* text must be a str; spec and tables as documented in _hashsum.c (-1 with an exception set) */
int hs_parse(PyObject *text, PyObject *spec, PyObject *tables, Spec *s, Tables *t);
void hs_release(Tables *t);
PyObject *hs_char_weights(PyObject *self, PyObject *args);
PyObject *hs_phrase_spans(PyObject *self, PyObject *args);

#endif
