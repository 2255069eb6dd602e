// The activity reader's grammar check in C: for a batch of frames, checks each against the
// JSON grammar and finds where its top-level `uid` and `ts` values lie. The JavaScript side
// (lib/stats/native-uid-ts.ts) decodes those two values; the rules are those of
// readUidTs in read-uid-ts.ts, and the tests hold both to JSON.parse.
//
// Most of a frame's bytes are inside strings: with SSE2 they are scanned 16 bytes at a time.
//
// scan(bytes: Uint8Array, spans: Uint32Array, out: Int32Array): frame i is
// bytes[spans[2i], spans[2i+1]); out[5i..5i+4] gets its verdict (STATUS_*), then the byte
// offsets in `bytes` of its last top-level uid value (start, end) and ts value (start, end),
// or -1 where the frame has none. scanAt does the same on the reader thread straight from
// the main thread's fetched bytes, so a batch is not copied to reach the thread.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { STATUS_INVALID = 0, STATUS_OK = 1, STATUS_UNSURE = 2 };
enum { MAX_DEPTH = 64 };

typedef struct {
  const uint8_t *end;
  /* set when the frame nests deeper than MAX_DEPTH: JSON.parse decides */
  int unsure;
  /* set when the last string scanned had an escape */
  int escaped;
} scan_t;

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline int is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static inline const uint8_t *ws(const uint8_t *p, const uint8_t *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}

/* p is just past an opening quote; returns the byte after the closing one, or NULL. */
static const uint8_t *string(scan_t *s, const uint8_t *p) {
  const uint8_t *end = s->end;
  s->escaped = 0;
  for (;;) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)p);
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                 _mm_cmpeq_epi8(_mm_min_epu8(x, control), x)); /* x <= 0x1f, unsigned */
      int mask = _mm_movemask_epi8(hit);
      if (mask) {
        p += __builtin_ctz(mask);
        goto special;
      }
      p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) p++;
    if (p >= end) return NULL;
#ifdef __SSE2__
  special:
#endif
    if (*p == '"') return p + 1;
    if (*p < 0x20) return NULL;
    /* a backslash */
    s->escaped = 1;
    if (++p >= end) return NULL;
    switch (*p) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        p++;
        break;
      case 'u':
        if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4])) return NULL;
        p += 5;
        break;
      default:
        return NULL;
    }
  }
}

static const uint8_t *number(const uint8_t *p, const uint8_t *end) {
  if (p < end && *p == '-') p++;
  if (p < end && *p == '0') p++;
  else if (p < end && is_digit(*p)) while (p < end && is_digit(*p)) p++;
  else return NULL;
  if (p < end && *p == '.') {
    p++;
    if (!(p < end && is_digit(*p))) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (!(p < end && is_digit(*p))) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  return p;
}

static inline const uint8_t *literal(const uint8_t *p, const uint8_t *end, const char *word, size_t n) {
  return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const uint8_t *value(scan_t *s, const uint8_t *p, int depth);

static inline int hex_value(uint8_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/* Whether a checked key's bytes [p, end) with escapes decode to the ASCII `word`. */
static int escaped_key_is(const uint8_t *p, const uint8_t *end, const char *word) {
  for (; *word; word++) {
    if (p >= end) return 0;
    unsigned unit;
    if (*p != '\\') unit = *p++;
    else if (p[1] == 'u') {
      unit = (unsigned)(hex_value(p[2]) << 12 | hex_value(p[3]) << 8 | hex_value(p[4]) << 4 | hex_value(p[5]));
      p += 6;
    } else {
      /* \" \\ \/ \b \f \n \r \t: only the first three are printable ASCII */
      unit = p[1] == '"' || p[1] == '\\' || p[1] == '/' ? p[1] : 0;
      p += 2;
    }
    if (unit != (unsigned char)*word) return 0;
  }
  return p == end;
}

/* p is at '{' or '['; checks the container and returns the byte after it, or NULL. */
static const uint8_t *container(scan_t *s, const uint8_t *p, int depth, int keyed) {
  const uint8_t *end = s->end;
  const uint8_t close = keyed ? '}' : ']';
  if (depth >= MAX_DEPTH) {
    s->unsure = 1;
    return NULL;
  }
  p = ws(p + 1, end);
  if (p < end && *p == close) return p + 1;
  for (;;) {
    if (keyed) {
      if (!(p < end && *p == '"') || !(p = string(s, p + 1))) return NULL;
      p = ws(p, end);
      if (!(p < end && *p == ':')) return NULL;
      p = ws(p + 1, end);
    }
    if (!(p = value(s, p, depth + 1))) return NULL;
    p = ws(p, end);
    if (p >= end) return NULL;
    if (*p == close) return p + 1;
    if (*p != ',') return NULL;
    p = ws(p + 1, end);
  }
}

static const uint8_t *value(scan_t *s, const uint8_t *p, int depth) {
  const uint8_t *end = s->end;
  if (p >= end) return NULL;
  switch (*p) {
    case '"': return string(s, p + 1);
    case '{': return container(s, p, depth, 1);
    case '[': return container(s, p, depth, 0);
    case 't': return literal(p, end, "true", 4);
    case 'f': return literal(p, end, "false", 5);
    case 'n': return literal(p, end, "null", 4);
    default: return *p == '-' || is_digit(*p) ? number(p, end) : NULL;
  }
}

/* One frame: its verdict, and where its top-level uid and ts values are (offsets from base). */
static void frame(const uint8_t *base, uint32_t from, uint32_t to, int32_t *out) {
  scan_t s = {base + to, 0, 0};
  const uint8_t *end = s.end;
  int32_t uid_start = -1, uid_end = -1, ts_start = -1, ts_end = -1;
  const uint8_t *p = ws(base + from, end);
  out[0] = STATUS_INVALID;
  out[1] = out[2] = out[3] = out[4] = -1;
  if (!(p < end && *p == '{')) return; /* not an object: valid JSON or not, no uid */
  p = ws(p + 1, end);
  if (p < end && *p == '}') p++;
  else {
    for (;;) {
      if (!(p < end && *p == '"')) return;
      const uint8_t *key = p + 1;
      if (!(p = string(&s, key))) return;
      size_t key_length = (size_t)(p - 1 - key);
      int is_uid, is_ts;
      if (s.escaped) {
        /* rare: a key with escapes may still spell uid or ts */
        is_uid = escaped_key_is(key, p - 1, "uid");
        is_ts = escaped_key_is(key, p - 1, "ts");
      } else {
        is_uid = key_length == 3 && memcmp(key, "uid", 3) == 0;
        is_ts = key_length == 2 && memcmp(key, "ts", 2) == 0;
      }
      p = ws(p, end);
      if (!(p < end && *p == ':')) return;
      p = ws(p + 1, end);
      const uint8_t *start = p;
      if (!(p = value(&s, p, 1))) {
        if (s.unsure) out[0] = STATUS_UNSURE;
        return;
      }
      /* the last of duplicate keys counts, as with JSON.parse */
      if (is_uid) uid_start = (int32_t)(start - base), uid_end = (int32_t)(p - base);
      else if (is_ts) ts_start = (int32_t)(start - base), ts_end = (int32_t)(p - base);
      p = ws(p, end);
      if (p >= end) return;
      if (*p == '}') {
        p++;
        break;
      }
      if (*p != ',') return;
      p = ws(p + 1, end);
    }
  }
  if (ws(p, end) != end) return; /* trailing bytes: JSON.parse refuses the frame */
  out[0] = STATUS_OK;
  out[1] = uid_start, out[2] = uid_end, out[3] = ts_start, out[4] = ts_end;
}

static int typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL) == napi_ok && type == want;
}

static int spans_fit(const uint32_t *span, size_t frames, size_t n_bytes) {
  for (size_t i = 0; i < frames; i++)
    if (span[2 * i] > span[2 * i + 1] || span[2 * i + 1] > n_bytes) return 0;
  return 1;
}

/* scan(bytes: Uint8Array, spans: Uint32Array, out: Int32Array): undefined */
static napi_value scan(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *bytes, *spans, *out;
  size_t n_bytes, n_spans, n_out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      !typed_array(env, argv[0], napi_uint8_array, &bytes, &n_bytes) ||
      !typed_array(env, argv[1], napi_uint32_array, &spans, &n_spans) ||
      !typed_array(env, argv[2], napi_int32_array, &out, &n_out)) {
    napi_throw_type_error(env, NULL, "scan(bytes: Uint8Array, spans: Uint32Array, out: Int32Array)");
    return NULL;
  }
  size_t frames = n_spans / 2;
  if (n_out < 5 * frames || n_bytes > INT32_MAX || !spans_fit(spans, frames, n_bytes)) {
    napi_throw_range_error(env, NULL, "scan: out needs 5 slots a frame, bytes at most 2 GiB, and every span inside bytes");
    return NULL;
  }
  for (size_t i = 0; i < frames; i++) frame(bytes, ((uint32_t *)spans)[2 * i], ((uint32_t *)spans)[2 * i + 1], (int32_t *)out + 5 * i);
  return NULL;
}

/* address(view: Uint8Array): bigint, where the view's bytes start in this process */
static napi_value address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  void *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !typed_array(env, argv[0], napi_uint8_array, &data, &length)) {
    napi_throw_type_error(env, NULL, "address(view: Uint8Array)");
    return NULL;
  }
  return napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)data, &result) == napi_ok ? result : NULL;
}

/*
 * scanAt(address: bigint, length: number, spans: Uint32Array, out: Int32Array, values: Uint8Array): number
 *
 * scan, over bytes another thread holds (`length` bytes at `address`, from `address` above;
 * they must stay alive and unchanged until this returns), copying what the caller decodes
 * into `values`: a read frame's uid and ts values (out's offsets are then into `values`),
 * an unsure frame whole (out[1], out[2]: its bytes in `values`). Returns the bytes of
 * `values` used, or -1 when they do not fit (nothing is then to be read from out).
 */
static napi_value scan_at(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  uint64_t where;
  bool lossless;
  double length;
  void *spans, *out, *values;
  size_t n_spans, n_out, n_values;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_bigint_uint64(env, argv[0], &where, &lossless) != napi_ok || !lossless ||
      napi_get_value_double(env, argv[1], &length) != napi_ok ||
      !typed_array(env, argv[2], napi_uint32_array, &spans, &n_spans) ||
      !typed_array(env, argv[3], napi_int32_array, &out, &n_out) ||
      !typed_array(env, argv[4], napi_uint8_array, &values, &n_values)) {
    napi_throw_type_error(env, NULL, "scanAt(address: bigint, length: number, spans: Uint32Array, out: Int32Array, values: Uint8Array)");
    return NULL;
  }
  size_t frames = n_spans / 2;
  if (!(length >= 0 && length <= INT32_MAX) || n_out < 5 * frames || n_values > INT32_MAX || !spans_fit(spans, frames, (size_t)length)) {
    napi_throw_range_error(env, NULL, "scanAt: out needs 5 slots a frame, length at most 2 GiB, and every span inside it");
    return NULL;
  }
  const uint8_t *base = (const uint8_t *)(uintptr_t)where;
  const uint32_t *span = spans;
  uint8_t *into = values;
  size_t used = 0;
  for (size_t i = 0; i < frames; i++) {
    int32_t *o = (int32_t *)out + 5 * i;
    frame(base, span[2 * i], span[2 * i + 1], o);
    if (o[0] == STATUS_INVALID) continue;
    if (o[0] == STATUS_UNSURE) {
      o[1] = (int32_t)span[2 * i], o[2] = (int32_t)span[2 * i + 1];
      o[3] = o[4] = -1;
    }
    for (int k = 1; k <= 3; k += 2) {
      if (o[k] < 0) continue;
      size_t n = (size_t)(o[k + 1] - o[k]);
      if (n > n_values - used) return napi_create_int32(env, -1, &result) == napi_ok ? result : NULL;
      memcpy(into + used, base + o[k], n);
      o[k] = (int32_t)used, o[k + 1] = (int32_t)(used + n);
      used += n;
    }
  }
  return napi_create_int32(env, (int32_t)used, &result) == napi_ok ? result : NULL;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } exported[] = {{"scan", scan}, {"address", address}, {"scanAt", scan_at}};
  for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, exported[i].name, NAPI_AUTO_LENGTH, exported[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, exported[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
