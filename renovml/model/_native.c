/* Character n-gram TF-IDF scores in one pass per text: renovml's native path.
 *
 * The compiled scorer (renovml/model/compiled.py) scores a batch of prepared texts
 * (lower-cased, white space collapsed) against a linear model over character n-gram
 * TF-IDF features. With numpy that costs a sort-based lookup and a unique() per batch;
 * here each text is read once: every character becomes a small id, every n-gram that a
 * feature can be is looked up in an open-addressing table of 8-byte slots, counted,
 * weighed, L2-normalised and multiplied into the weights, in time linear in the text.
 * The vocabulary is laid out by renovml.model.compiled._NativeVocabulary (see
 * char_scores below); the numbers are numpy's path's to rounding.
 *
 * Only Python's C API and the buffer protocol are used (no numpy headers): the caller
 * passes numpy arrays, which expose their memory as buffers, and an output array to fill.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>


/* Struct type codes of the integer types by size, whatever the platform calls them. */
#define U64 "LQ"
#define U32 "IL"
#define I32 "il"

static inline uint64_t slot_of(uint64_t key, uint64_t mask) {
    return ((key * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
}

/* Whether a buffer's struct format is one native-order item of one of the type codes in
 * `codes` (its size is checked apart: 'L' is 8 bytes here, 4 on Windows). */
static int format_is(const char *format, const char *codes) {
    if (format == NULL) return 0;
    const uint16_t probe = 1;
    const int little = *(const unsigned char *)&probe == 1;
    if (*format == '@' || *format == '=' || *format == (little ? '<' : '>')
            || (!little && *format == '!'))
        format++;
    return format[0] != '\0' && format[1] == '\0' && strchr(codes, format[0]) != NULL;
}

/* Fetch a contiguous buffer of the given item type and count (count < 0: any count).
 * `codes`: the struct type codes accepted ("d" float64, "H" uint16, "i"/"l" int32...). */
static int get_buffer(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t itemsize,
                      Py_ssize_t count, const char *name, const char *codes) {
    if (PyObject_GetBuffer(obj, view, (writable ? PyBUF_WRITABLE : 0) | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (!format_is(view->format, codes)) {
        PyErr_Format(PyExc_ValueError, "%s: expected items of type '%s', got '%s'", name, codes,
                     view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    if (view->itemsize != itemsize || (count >= 0 && view->len != count * itemsize)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd items of %zd bytes, got %zd bytes of %zd",
                     name, count, itemsize, view->len, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* fill_table(entries: uint64[n], shift: int, table: uint64[size])
 * Insert packed entries (key << shift | payload, key != 0, keys distinct) into a zeroed
 * open-addressing table whose size is a power of two at least 2n. */
static PyObject *fill_table(PyObject *self, PyObject *args) {
    PyObject *entries_obj, *table_obj;
    int shift;
    if (!PyArg_ParseTuple(args, "OiO", &entries_obj, &shift, &table_obj)) return NULL;
    if (shift < 1 || shift > 62) {
        PyErr_SetString(PyExc_ValueError, "shift must lie within 1..62");
        return NULL;
    }
    Py_buffer entries, table;
    if (get_buffer(entries_obj, &entries, 0, 8, -1, "entries", U64) < 0) return NULL;
    if (get_buffer(table_obj, &table, 1, 8, -1, "table", U64) < 0) { PyBuffer_Release(&entries); return NULL; }
    PyObject *result = NULL;
    Py_ssize_t n = entries.len / 8, size = table.len / 8;
    if (size < 2 * n || size == 0 || (size & (size - 1))) {
        PyErr_SetString(PyExc_ValueError, "table size must be a power of two at least twice the entries");
        goto done;
    }
    const uint64_t *e = entries.buf;
    uint64_t *t = table.buf, mask = (uint64_t)size - 1;
    memset(t, 0, size * 8);
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = e[i] >> shift;
        if (key == 0) {
            PyErr_SetString(PyExc_ValueError, "an entry has a zero key");
            goto done;
        }
        uint64_t s = slot_of(key, mask);
        while (t[s] != 0) {
            if (t[s] >> shift == key) {
                PyErr_SetString(PyExc_ValueError, "two entries have the same key");
                goto done;
            }
            s = (s + 1) & mask;
        }
        t[s] = e[i];
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&entries); PyBuffer_Release(&table);
    return result;
}

/* The packed slot of key, or 0 when the key is not in the table (at most a whole round
 * of probes: a table handed in without an empty slot cannot loop for ever). */
static inline uint64_t lookup(const uint64_t *t, uint64_t mask, int shift, uint64_t key) {
    uint64_t s = slot_of(key, mask);
    for (uint64_t probes = 0; probes <= mask; probes++) {
        uint64_t found = t[s];
        if (found == 0 || found >> shift == key) return found;
        s = (s + 1) & mask;
    }
    return 0;
}

/* char_scores(texts: list[str], low, high, ids: uint16[65536], astral: uint32[a],
 *             astral_ids: uint16[a], unigrams: int32[k + 1], table: uint64[size], bits,
 *             value_bits, n_features, rows: float64[f * (1 + m)], sublinear, out: float64[len(texts) * m])
 *
 * The vocabulary, as renovml.model.compiled._NativeVocabulary lays it out:
 * - every character found in a feature has an id 1..k in `bits` bits (0: in no feature):
 *   ids[code point] in the Basic Multilingual Plane, else by binary search in the sorted
 *   `astral` code points;
 * - unigrams[id] = column + 1 of the single character (0: not a feature), plus 1 << 30
 *   when some two-character entry starts with it;
 * - the table holds two- and three-character entries, key = ids packed `bits` apiece,
 *   as key << (value_bits + 1) | children << value_bits | (column + 1); column + 1 is 0
 *   for a two-character prefix of a feature that is no feature itself, and `children`
 *   says a three-character feature starts with it. So a longer n-gram is looked up only
 *   where a feature can start with its prefix: every lookup that cannot succeed is skipped.
 * - rows[g] = (idf[g], idf[g] * weights[g, 0], ..., idf[g] * weights[g, m - 1]): a
 *   feature's numbers side by side, so a touched feature costs one memory fetch.
 *
 * out[t, :] += sum over the distinct n-grams g of text t of tf(g) * rows[g, 1:] / |tf * idf|,
 * tf = 1 + log(count) (sublinear) or count. */
static PyObject *char_scores(PyObject *self, PyObject *args) {
    PyObject *texts, *ids_obj, *astral_obj, *astral_ids_obj, *uni_obj, *table_obj, *w_obj, *out_obj;
    int low, high, bits, value_bits, sublinear;
    Py_ssize_t n_features;
    if (!PyArg_ParseTuple(args, "O!iiOOOOOiinOpO", &PyList_Type, &texts, &low, &high, &ids_obj,
                          &astral_obj, &astral_ids_obj, &uni_obj, &table_obj, &bits, &value_bits,
                          &n_features, &w_obj, &sublinear, &out_obj))
        return NULL;
    if (low < 1 || high > 3 || low > high) {
        PyErr_SetString(PyExc_ValueError, "ngram range must lie within (1, 3)");
        return NULL;
    }
    if (bits < 1 || bits > 21 || value_bits < 1 || value_bits > 62
            || 3 * bits + value_bits + 1 > 64 || n_features <= 0
            || n_features >= ((Py_ssize_t)1 << value_bits) || n_features >= (1 << 30)) {
        PyErr_SetString(PyExc_ValueError, "the vocabulary's bit widths do not fit 64 bits");
        return NULL;
    }
    Py_ssize_t n_texts = PyList_GET_SIZE(texts);
    Py_buffer ids, astral, astral_ids, uni, table, w, out;
    int got = 0;
    PyObject *result = NULL;
    int64_t *counts = NULL;  /* 64 bits: a text of billions of one character cannot wrap */
    int32_t *touched = NULL;
    double *acc = NULL;
    if (get_buffer(ids_obj, &ids, 0, 2, 65536, "ids", "H") < 0) goto done;
    got = 1;
    if (get_buffer(astral_obj, &astral, 0, 4, -1, "astral", U32) < 0) goto done;
    got = 2;
    Py_ssize_t n_astral = astral.len / 4;
    if (get_buffer(astral_ids_obj, &astral_ids, 0, 2, n_astral, "astral_ids", "H") < 0) goto done;
    got = 3;
    if (get_buffer(uni_obj, &uni, 0, 4, -1, "unigrams", I32) < 0) goto done;
    got = 4;
    Py_ssize_t n_ids = uni.len / 4;  /* k + 1 */
    if (get_buffer(table_obj, &table, 0, 8, -1, "table", U64) < 0) goto done;
    got = 5;
    Py_ssize_t size = table.len / 8;
    if (size == 0 || (size & (size - 1))) {
        PyErr_SetString(PyExc_ValueError, "table size must be a power of two");
        goto done;
    }
    if (get_buffer(w_obj, &w, 0, 8, -1, "rows", "d") < 0) goto done;
    got = 6;
    if (w.len % (n_features * 8) || w.len / 8 / n_features < 2) {
        PyErr_SetString(PyExc_ValueError, "rows must be n_features x (1 + n_outputs)");
        goto done;
    }
    Py_ssize_t stride = w.len / 8 / n_features, m = stride - 1;
    if (get_buffer(out_obj, &out, 1, 8, n_texts * m, "out", "d") < 0) goto done;
    got = 7;

    const uint16_t *idv = ids.buf, *aidv = astral_ids.buf;
    const uint32_t *av = astral.buf;
    const int32_t *univ = uni.buf;
    const uint64_t *tv = table.buf;
    const double *wv = w.buf;
    double *outv = out.buf;
    const uint64_t mask = (uint64_t)size - 1, id_limit = (uint64_t)1 << bits;
    const uint64_t value_mask = ((uint64_t)1 << value_bits) - 1, child_bit = (uint64_t)1 << value_bits;
    const int shift = value_bits + 1;
    double tf_of[64];  /* tf of the small counts, computed once */
    for (int c = 1; c < 64; c++) tf_of[c] = sublinear ? log((double)c) + 1.0 : (double)c;
    counts = PyMem_Calloc(n_features, sizeof(int64_t));
    acc = PyMem_Calloc(m, sizeof(double));
    Py_ssize_t touched_cap = 0;
    if (!counts || !acc) { PyErr_NoMemory(); goto done; }

/* Count column col (0-based) of the current text; check it lies within the features. */
#define COUNT(col) do { \
        Py_ssize_t col_ = (col); \
        if (col_ >= n_features) { \
            PyErr_SetString(PyExc_ValueError, "a vocabulary column lies outside the features"); \
            goto done; \
        } \
        if (counts[col_]++ == 0) touched[n_touched++] = (int32_t)col_; \
    } while (0)

    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "expected str, got %.100s", Py_TYPE(text)->tp_name);
            goto done;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(text);
        if (len == 0) continue;
        Py_ssize_t need = len * (high - low + 1);
        if (need > n_features) need = n_features;  /* each column is touched once */
        if (need > touched_cap) {
            PyMem_Free(touched);
            touched_cap = need;
            touched = PyMem_Malloc(touched_cap * sizeof(int32_t));
            if (!touched) { PyErr_NoMemory(); goto done; }
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t n_touched = 0;
        /* The ids of the previous two characters (0: none, or in no feature), and whether
         * a feature can start with the previous one or two of them. */
        uint64_t id1 = 0, id2 = 0;
        int after1 = 0, after2 = 0;
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 cp = PyUnicode_READ(kind, data, i);
            uint64_t id;
            if (cp < 65536) {
                id = idv[cp];
            } else {  /* binary search among the few astral characters in features */
                Py_ssize_t lo = 0, hi = n_astral;
                while (lo < hi) {
                    Py_ssize_t mid = (lo + hi) / 2;
                    if (av[mid] < cp) lo = mid + 1; else hi = mid;
                }
                id = (lo < n_astral && av[lo] == cp) ? aidv[lo] : 0;
            }
            if (id == 0 || id >= id_limit || (Py_ssize_t)id >= n_ids) {
                if (id != 0) {
                    PyErr_SetString(PyExc_ValueError, "a character id lies outside the vocabulary");
                    goto done;
                }
                id1 = id2 = 0;
                after1 = after2 = 0;
                continue;  /* no feature holds this character */
            }
            int32_t u = univ[id];
            int next_after2 = 0;
            if (high >= 3 && after2) {  /* the previous two characters begin a feature */
                uint64_t slot = lookup(tv, mask, shift, (((id2 << bits) | id1) << bits) | id);
                if (slot && (slot & value_mask) && low <= 3) COUNT((Py_ssize_t)(slot & value_mask) - 1);
            }
            if (high >= 2 && after1) {
                uint64_t slot = lookup(tv, mask, shift, (id1 << bits) | id);
                if (slot) {
                    if ((slot & value_mask) && low <= 2) COUNT((Py_ssize_t)(slot & value_mask) - 1);
                    next_after2 = (slot & child_bit) != 0;
                }
            }
            if (low <= 1 && (u & 0x3FFFFFFF)) COUNT((Py_ssize_t)(u & 0x3FFFFFFF) - 1);
            id2 = id1;
            id1 = id;
            after2 = next_after2;
            after1 = (u >> 30) & 1;
        }
        if (n_touched == 0) continue;
        double norm2 = 0.0;
        for (Py_ssize_t k = 0; k < m; k++) acc[k] = 0.0;
        for (Py_ssize_t i = 0; i < n_touched; i++) {
            int32_t col = touched[i];
            int64_t c = counts[col];  /* at least 1 */
            counts[col] = 0;
            double tf = c < 64 ? tf_of[c] : (sublinear ? log((double)c) + 1.0 : (double)c);
            const double *row = wv + (Py_ssize_t)col * stride;
            double v = tf * row[0];
            norm2 += v * v;
            for (Py_ssize_t k = 0; k < m; k++) acc[k] += tf * row[k + 1];
        }
        double norm = sqrt(norm2);
        if (norm > 0) {
            double *o = outv + t * m;
            for (Py_ssize_t k = 0; k < m; k++) o[k] += acc[k] / norm;
        }
    }
#undef COUNT
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(counts); PyMem_Free(touched); PyMem_Free(acc);
    if (got >= 1) PyBuffer_Release(&ids);
    if (got >= 2) PyBuffer_Release(&astral);
    if (got >= 3) PyBuffer_Release(&astral_ids);
    if (got >= 4) PyBuffer_Release(&uni);
    if (got >= 5) PyBuffer_Release(&table);
    if (got >= 6) PyBuffer_Release(&w);
    if (got >= 7) PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"fill_table", fill_table, METH_VARARGS,
     "fill_table(entries, shift, table): insert packed entries into an open-addressing table."},
    {"char_scores", char_scores, METH_VARARGS,
     "char_scores(texts, low, high, ids, astral, astral_ids, unigrams, table, bits, value_bits, "
     "n_features, rows, sublinear, out): "
     "add each text's character n-gram TF-IDF times the weights to out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "renovml.model._native",
    "Character n-gram TF-IDF scoring in native code (see renovml.model.compiled).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
