# cython: language_level=3
# Reading JSON documents of one known shape straight from their bytes, shared by the compiled
# adapter twins (each scans its common event with these steps), and the lazily decoded
# ``raw`` those chunks carry (``LazyJSONObject``, implemented in _json_c.pyx).

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_Clear
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from libc.stdint cimport uint64_t
from libc.string cimport memcmp, memcpy, strlen

from .._types_c cimport text_chunk


cdef class LazyJSONObject:
    cdef bytes _data
    cdef dict _value
    cdef dict _decoded(self)


cdef inline LazyJSONObject lazy_json(bytes data):
    """``LazyJSONObject(data)`` without the call (a chunk's ``raw``: one per chunk)."""
    cdef LazyJSONObject raw = LazyJSONObject.__new__(LazyJSONObject)
    raw._data = data
    return raw


cdef extern from "Python.h":
    PyObject* _new_text "PyUnicode_New"(Py_ssize_t size, Py_UCS4 maxchar)
    PyObject* _decode_utf8 "PyUnicode_DecodeUTF8"(const char* data, Py_ssize_t size,
                                                  const char* errors)
    void* _text_data "PyUnicode_DATA"(object text)
    bint _is_compact_ascii "PyUnicode_IS_COMPACT_ASCII"(object text)
    Py_ssize_t _text_length "PyUnicode_GET_LENGTH"(object text)


# The scanner's steps. Each takes the position of the next byte and returns the position
# after what it read, or NULL when the document is not one it can read (not the shape, or
# not JSON it checks): the caller then falls back to orjson. None raises, and none decides
# a document is bad JSON; orjson does that on the fallback. The steps a caller chains
# (skip_space, scan_key, scan_scalar, skip_value, next_member, open_object) pass a NULL
# position on, so a caller may check once after several.

ctypedef const unsigned char* Pos

cdef enum ValueKind:
    ABSENT, NULL_VALUE, STRING, INTEGER, OTHER

ctypedef struct Value:
    ValueKind kind
    Pos start  # a string's bytes, between its quotes (value_text undoes the escapes)
    Py_ssize_t size
    bint escaped
    bint ascii
    long long number


cdef inline Pos skip_space(Pos p, Pos end) noexcept:
    if p == NULL:
        return NULL
    while p < end and (p[0] == c' ' or p[0] == c'\n' or p[0] == c'\r' or p[0] == c'\t'):
        p += 1
    return p


cdef inline int _hex_digit(unsigned char c) noexcept:
    if c'0' <= c <= c'9':
        return c - c'0'
    if c'a' <= c <= c'f':
        return c - c'a' + 10
    if c'A' <= c <= c'F':
        return c - c'A' + 10
    return -1


cdef inline int _hex4(Pos p) noexcept:
    """The code unit of four hex digits, or -1."""
    cdef int value = 0, digit, i
    for i in range(4):
        digit = _hex_digit(p[i])
        if digit < 0:
            return -1
        value = value * 16 + digit
    return value


cdef extern from *:
    """
    /* Reading eight bytes at a time needs a little-endian word and a count of trailing
       zeros; elsewhere the scanner reads byte by byte. */
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) \
        && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define LITERLLM_WORDS 1
    #define literllm_lowest_bit(word) __builtin_ctzll(word)
    #else
    #define LITERLLM_WORDS 0
    #define literllm_lowest_bit(word) 0
    #endif
    #define LITERLLM_ONES 0x0101010101010101ULL
    #define LITERLLM_HIGHS 0x8080808080808080ULL
    #define LITERLLM_QUOTES 0x2222222222222222ULL
    #define LITERLLM_BACKSLASHES 0x5C5C5C5C5C5C5C5CULL
    #define LITERLLM_SPACES 0x2020202020202020ULL
    """
    const bint _WORDS "LITERLLM_WORDS"
    int _lowest_bit "literllm_lowest_bit"(uint64_t word) noexcept
    const uint64_t _ONES "LITERLLM_ONES"
    const uint64_t _HIGHS "LITERLLM_HIGHS"
    const uint64_t _QUOTES "LITERLLM_QUOTES"
    const uint64_t _BACKSLASHES "LITERLLM_BACKSLASHES"
    const uint64_t _SPACES "LITERLLM_SPACES"


cdef inline Pos _plain_run(Pos p, Pos end, Value* value) noexcept:
    """Past the bytes of a string that need no look, eight at a time: up to the first quote,
    backslash or control byte (noting any non-ASCII byte on the way)."""
    cdef uint64_t word, quote, backslash, hits, high = 0
    cdef int first
    if not _WORDS:
        return p
    while end - p >= 8:
        memcpy(&word, p, 8)
        quote = word ^ _QUOTES
        backslash = word ^ _BACKSLASHES
        # The high bit of each byte that is a quote, a backslash or below 0x20 (a borrow
        # can set one only above a byte that is one of those, so the lowest is exact).
        hits = (((quote - _ONES) & ~quote) | ((backslash - _ONES) & ~backslash)
                | ((word - _SPACES) & ~word)) & _HIGHS
        if hits:
            first = _lowest_bit(hits)  # little-endian: the first byte is the lowest
            high |= word & ((<uint64_t>1 << first) - 1)
            p += first >> 3
            break
        high |= word
        p += 8
    if high & _HIGHS:
        value.ascii = False
    return p


cdef inline Pos scan_string(Pos p, Pos end, Value* value) noexcept:
    """A string's body, ``p`` just past its opening quote."""
    cdef unsigned char c
    cdef int unit
    value.kind = STRING
    value.start = p
    value.escaped = False
    value.ascii = True
    while True:
        p = _plain_run(p, end, value)
        if p >= end:
            return NULL
        c = p[0]
        if c == c'"':
            value.size = p - value.start
            return p + 1
        if c == c'\\':
            value.escaped = True
            if end - p < 2:
                return NULL
            c = p[1]
            if c == c'u':
                if end - p < 6:
                    return NULL
                unit = _hex4(p + 2)
                # Surrogates (paired or lone) are left to orjson.
                if unit < 0 or 0xD800 <= unit <= 0xDFFF:
                    return NULL
                p += 6
                continue
            if not (c == c'"' or c == c'\\' or c == c'/' or c == c'b' or c == c'f'
                    or c == c'n' or c == c'r' or c == c't'):
                return NULL
            p += 2
            continue
        if c < 0x20:
            return NULL
        if c >= 0x80:
            value.ascii = False
        p += 1


cdef inline Pos scan_integer(Pos p, Pos end, Value* value) noexcept:
    """An integer of at most 18 digits; fractions, exponents and longer numbers are left to
    orjson."""
    cdef bint negative = False
    cdef long long number = 0
    cdef int digits = 0
    if p < end and p[0] == c'-':
        negative = True
        p += 1
    if p >= end:
        return NULL
    if p[0] == c'0':
        p += 1
    else:
        while p < end and c'0' <= p[0] <= c'9':
            number = number * 10 + (p[0] - c'0')
            digits += 1
            p += 1
        if digits == 0 or digits > 18:
            return NULL
    if p < end and (c'0' <= p[0] <= c'9' or p[0] == c'.' or p[0] == c'e' or p[0] == c'E'):
        return NULL
    value.kind = INTEGER
    value.number = -number if negative else number
    return p


cdef inline Pos scan_scalar(Pos p, Pos end, Value* value) noexcept:
    """A string, null, true, false or integer; objects and arrays are left to orjson."""
    if p == NULL or p >= end:
        return NULL
    cdef unsigned char c = p[0]
    if c == c'"':
        return scan_string(p + 1, end, value)
    if c == c'n' and end - p >= 4 and memcmp(p, b"null", 4) == 0:
        value.kind = NULL_VALUE
        return p + 4
    if c == c't' and end - p >= 4 and memcmp(p, b"true", 4) == 0:
        value.kind = OTHER
        return p + 4
    if c == c'f' and end - p >= 5 and memcmp(p, b"false", 5) == 0:
        value.kind = OTHER
        return p + 5
    if c == c'-' or c'0' <= c <= c'9':
        return scan_integer(p, end, value)
    return NULL


cdef inline bint valid_utf8(const Value* value) noexcept:
    """Whether a string's bytes are UTF-8 (escapes are ASCII, so they need no undoing)."""
    if value.kind != STRING or value.ascii:
        return True
    cdef PyObject* text = _decode_utf8(<const char*>value.start, value.size, NULL)
    if text == NULL:
        PyErr_Clear()
        return False
    Py_DECREF(<object>text)
    return True


cdef inline Pos scan_key(Pos p, Pos end, Value* key) noexcept:
    """A member's key and its colon, ``p`` at the key's opening quote; keys with escapes or
    non-ASCII bytes are not ours, and are left to orjson."""
    if p == NULL or p >= end or p[0] != c'"':
        return NULL
    p = scan_string(p + 1, end, key)
    if p == NULL or key.escaped or not key.ascii:
        return NULL
    p = skip_space(p, end)
    if p >= end or p[0] != c':':
        return NULL
    return skip_space(p + 1, end)


cdef inline Pos next_member(Pos p, Pos end, bint* more) noexcept:
    """Past the ``,`` or ``}`` after a member's value."""
    p = skip_space(p, end)
    if p == NULL or p >= end:
        return NULL
    if p[0] == c',':
        more[0] = True
        return skip_space(p + 1, end)
    if p[0] == c'}':
        more[0] = False
        return p + 1
    return NULL


cdef inline bint key_is(const Value* key, const char* name, Py_ssize_t size) noexcept:
    return key.size == size and memcmp(key.start, name, size) == 0


cdef inline bint string_is(const Value* value, const char* text, Py_ssize_t size) noexcept:
    """A string without escapes, equal to ``text`` (one with escapes is left to orjson)."""
    return (value.kind == STRING and not value.escaped and value.size == size
            and memcmp(value.start, text, size) == 0)


cdef enum:
    MAX_DEPTH = 32  # deeper members are left to orjson (whose own limit is 1,024)


cdef inline Pos skip_value(Pos p, Pos end, int depth) noexcept:
    """Past any JSON value, checked in full: objects, arrays, strings, null, true, false and
    integers (fractions and exponents are left to orjson, which refuses the ones that
    overflow)."""
    cdef Value value
    cdef bint more = True
    if p == NULL or p >= end:
        return NULL
    if p[0] == c'{':
        if depth >= MAX_DEPTH:
            return NULL
        p = skip_space(p + 1, end)
        if p < end and p[0] == c'}':
            return p + 1
        while more:
            p = scan_key(p, end, &value)
            if p == NULL:
                return NULL
            p = skip_value(p, end, depth + 1)
            if p == NULL:
                return NULL
            p = next_member(p, end, &more)
            if p == NULL:
                return NULL
        return p
    if p[0] == c'[':
        if depth >= MAX_DEPTH:
            return NULL
        p = skip_space(p + 1, end)
        if p < end and p[0] == c']':
            return p + 1
        while True:
            p = skip_value(p, end, depth + 1)
            if p == NULL:
                return NULL
            p = skip_space(p, end)
            if p >= end:
                return NULL
            if p[0] == c']':
                return p + 1
            if p[0] != c',':
                return NULL
            p = skip_space(p + 1, end)
    p = scan_scalar(p, end, &value)
    if p == NULL or not valid_utf8(&value):
        return NULL
    return p


cdef inline Pos open_object(Pos p, Pos end) noexcept:
    """Past the ``{`` of an object with at least one member (an empty one is left to
    orjson)."""
    p = skip_space(p, end)
    if p == NULL or p >= end or p[0] != c'{':
        return NULL
    p = skip_space(p + 1, end)
    if p >= end or p[0] == c'}':
        return NULL
    return p


cdef inline Pos string_at(Pos p, Pos end, const char* const* names, int count, Value* out,
                          int depth) noexcept:
    """The object at ``p``, whose member ``names[0]`` leads through ``names[1:]`` (objects
    all) to a string, kept in ``out``; every other member is skipped. A repeated name is
    left to orjson."""
    cdef Value key
    cdef bint more = True
    cdef bint found = False
    cdef Py_ssize_t size = strlen(names[0])
    if depth >= MAX_DEPTH:
        return NULL
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return NULL
        if key_is(&key, names[0], size):
            if found:
                return NULL
            found = True
            if count == 1:
                p = scan_scalar(p, end, out)
                if p == NULL or out.kind != STRING:
                    return NULL
            else:
                p = string_at(p, end, names + 1, count - 1, out, depth + 1)
        else:
            p = skip_value(p, end, depth + 1)
        p = next_member(p, end, &more)
    return p if found else NULL


cdef inline bint at_end(Pos p, Pos end) noexcept:
    """Nothing but whitespace after the document."""
    return p != NULL and skip_space(p, end) == end


cdef inline Pos expect(Pos p, Pos end, bytes literal) noexcept:
    """Past ``literal``, which must come next, byte for byte."""
    cdef Py_ssize_t size = PyBytes_GET_SIZE(literal)
    if p == NULL or end - p < size or memcmp(p, PyBytes_AS_STRING(literal), size) != 0:
        return NULL
    return p + size


cdef inline Pos string_after(Pos p, Pos end, bytes literal, Value* value) noexcept:
    """Past ``literal`` (ending in a string's opening quote) and that string, kept in
    ``value``: the step of a provider's own layout that holds a string."""
    p = expect(p, end, literal)
    if p == NULL:
        return NULL
    return scan_string(p, end, value)


cdef inline Pos laid_out_text(Pos p, Pos end, bytes head, bytes middle, Value* text) noexcept:
    """The start of an event written exactly as its provider lays it out: ``head``, an
    integer, ``middle`` (ending in the string's opening quote), then the string, kept in
    ``text``; the position after its closing quote. NULL for any other layout, which the
    general scanner then reads: this only skips its member-by-member walk for the common
    one."""
    cdef Value number
    p = expect(p, end, head)
    if p == NULL:
        return NULL
    return string_after(scan_integer(p, end, &number), end, middle, text)


cdef inline Pos closing_braces(Pos p, Pos end, int count) noexcept:
    """Past ``count`` closing braces, whitespace allowed before each (Anthropic pads before
    its last)."""
    while p != NULL and count > 0:
        p = skip_space(p, end)
        if p >= end or p[0] != c'}':
            return NULL
        p += 1
        count -= 1
    return p


cdef inline bint laid_out_event(bytes data, bytes head, bytes middle, int closing,
                                Value* text) noexcept:
    """Whether ``data`` is ``head``, an integer, ``middle``, a string (kept in ``text``) and
    ``closing`` closing braces, as its provider writes it (see ``laid_out_text``)."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    return at_end(closing_braces(laid_out_text(p, end, head, middle, text), end, closing), end)


cdef inline object _unescaped_text(const Value* value):
    """The text of a string with escapes (checked by ``_string``), or None if not UTF-8."""
    cdef unsigned char small[256]
    cdef unsigned char* out = small
    cdef unsigned char* o
    cdef Pos p = value.start
    cdef Pos end = value.start + value.size
    cdef unsigned char c
    cdef int unit
    cdef PyObject* text
    if value.size > 256:
        out = <unsigned char*>PyMem_Malloc(value.size)
        if out == NULL:
            raise MemoryError()
    o = out
    try:
        while p < end:
            c = p[0]
            if c != c'\\':
                o[0] = c
                o += 1
                p += 1
                continue
            c = p[1]
            p += 2
            if c == c'u':
                unit = _hex4(p)
                p += 4
                if unit < 0x80:
                    o[0] = unit
                    o += 1
                elif unit < 0x800:
                    o[0] = 0xC0 | (unit >> 6)
                    o[1] = 0x80 | (unit & 0x3F)
                    o += 2
                else:
                    o[0] = 0xE0 | (unit >> 12)
                    o[1] = 0x80 | ((unit >> 6) & 0x3F)
                    o[2] = 0x80 | (unit & 0x3F)
                    o += 3
                continue
            if c == c'n':
                c = c'\n'
            elif c == c't':
                c = c'\t'
            elif c == c'r':
                c = c'\r'
            elif c == c'b':
                c = 8
            elif c == c'f':
                c = 12
            o[0] = c  # '"', '\\' and '/' stand for themselves
            o += 1
        text = _decode_utf8(<const char*>out, o - out, NULL)
    finally:
        if out != small:
            PyMem_Free(out)
    if text == NULL:
        PyErr_Clear()
        return None
    result = <object>text
    Py_DECREF(result)
    return result


cdef inline object value_text(const Value* value, object previous):
    """The text of a string ``Value``, or None if its bytes are not UTF-8; ``previous`` when
    it holds the same ASCII text (ids and model names repeat in every chunk). ``previous``
    may be anything a stream kept, such as a wrong-typed model name the py twin passed on:
    only a str is looked into."""
    cdef PyObject* text
    if value.escaped:
        return _unescaped_text(value)
    if value.ascii:
        # The None test as well: GCC cannot tell that None is no str and warns
        # (-Warray-bounds) on the PyASCIIObject reads for a None previous.
        if (previous is not None and type(previous) is str and _is_compact_ascii(previous)
                and _text_length(previous) == value.size
                and memcmp(_text_data(previous), value.start, value.size) == 0):
            return previous
        text = _new_text(value.size, 127)
        if text == NULL:
            raise MemoryError()
        memcpy(_text_data(<object>text), value.start, value.size)
    else:
        text = _decode_utf8(<const char*>value.start, value.size, NULL)
        if text == NULL:
            PyErr_Clear()
            return None
    result = <object>text
    Py_DECREF(result)
    return result


cdef inline bint scan_text_event(bytes data, const char* kind, Py_ssize_t kind_size,
                                 const char* const* path, int count, Value* text) noexcept:
    """Whether ``data`` is an object whose ``type`` is ``kind`` (unless NULL) and which has a
    string at ``path`` (a member, or a path of objects to one), checked in full; ``text``
    gets the string. Any other member is skipped; a repeated ``type`` or ``path[0]`` is left
    to orjson."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    cdef Value key, value
    cdef bint more = True
    cdef bint have_kind = False
    cdef bint have_path = False
    cdef Py_ssize_t size = strlen(path[0])
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return False
        if kind != NULL and key_is(&key, "type", 4):
            if have_kind:
                return False
            have_kind = True
            p = scan_scalar(p, end, &value)
            if p == NULL or not string_is(&value, kind, kind_size):
                return False
        elif key_is(&key, path[0], size):
            if have_path:
                return False
            have_path = True
            if count == 1:
                p = scan_scalar(p, end, text)
                if p == NULL or text.kind != STRING:
                    return False
            else:
                p = string_at(p, end, path + 1, count - 1, text, 1)
        else:
            p = skip_value(p, end, 1)
        p = next_member(p, end, &more)
    return at_end(p, end) and (have_kind or kind == NULL) and have_path


cdef inline object scanned_text_chunk(list text_parts, const Value* text, bytes data,
                                      object id, object chunk_object, object created,
                                      object model):
    """The text chunk of a scanned event (``raw`` and ``delta.raw`` its lazily decoded
    JSON), its text kept in ``text_parts``; None when the text is not UTF-8 (orjson then
    raises the error)."""
    piece = value_text(text, None)
    if piece is None:
        return None
    text_parts.append(piece)
    raw = lazy_json(data)
    return text_chunk(id, chunk_object, created, model, 0, piece, None, None, None,
                      None, raw, raw)


cdef inline dict orjson_keys(object loads, bytes template):
    """Every key of a JSON document, as the key objects orjson hands out for it (a dict
    mapping each to itself).

    orjson caches the key strings it builds and gives the same object for the same key in
    later documents; a lookup with that object matches by identity, where an interned
    literal of ours matches only after a full string compare. Were the cache to drop one,
    lookups stay right, only slower.
    """
    keys = {}
    pending = [loads(template)]
    while pending:
        value = pending.pop()
        if type(value) is dict:
            for key, inner in (<dict>value).items():
                keys[key] = key
                pending.append(inner)
        elif type(value) is list:
            pending.extend(value)
    return keys
