// The archiver's event check in C (lib/lake/native-lines.ts): for a run of a batch's records,
// proves each one a valid event of the topic's type by rules compiled from its JSON Schemas
// (native-rules.ts) and writes its lake line, the same bytes lake-lines.ts writes:
//   {"p":<partition>,"o":<offset>,"t":<timestamp>,"v":<the record's value, as it is>}\n
// It proves only the simple case: a flat object on one line, ASCII strings without escapes,
// numbers it can read exactly, every field one of the version's with its rule, every required
// one there. Whatever it cannot prove it stops at, and the JavaScript side (ajv) decides that
// record: the lines are those of the JavaScript path, only sooner.
//
// rules(program: Uint8Array): an external holding the compiled rules.
// write(rules, bytes, spans, offsets, stamps, from, to, partition, out, at, stopAfter, result):
//   record i is bytes[spans[2i], spans[2i+1]), its offset offsets[i], its Kafka timestamp
//   stamps[i]. Lines of records from..to-1 go into out from `at`, until a record is not proven
//   (result[2] = 1), the next line does not fit (2), or `stopAfter` bytes are written (3), or
//   the run is done (0). result[0]: the next record to do; result[1]: where out's bytes end.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

enum { KIND_UNSUPPORTED = 0, KIND_STRING = 1, KIND_NUMBER = 2, KIND_INTEGER = 3, KIND_BOOLEAN = 4, KIND_LITERALS = 5 };
enum { TOKEN_STRING = 1, TOKEN_NUMBER = 2, TOKEN_TRUE = 3, TOKEN_FALSE = 4, TOKEN_NULL = 5 };
enum { STOP_DONE = 0, STOP_UNPROVEN = 1, STOP_ROOM = 2, STOP_BYTES = 3 };
enum { MAX_FIELDS = 32, MAX_NUMBER_CHARS = 40 };

typedef struct {
  const uint8_t *text;
  uint16_t length;
} literal_t;

typedef struct {
  uint8_t present, kind, required, exclusive_min, exclusive_max, has_class;
  double min, max, min_length, max_length;
  uint8_t class_map[32];
  uint16_t n_literals;
  literal_t *literals;
} rule_t;

typedef struct {
  double version;
  rule_t *rules; /* one per field name */
} version_t;

typedef struct {
  uint8_t *program; /* the bytes the names and literals point into */
  uint16_t n_names, type_field, version_field, n_versions;
  const uint8_t **names;
  uint16_t *name_lengths;
  version_t *versions;
} rules_t;

typedef struct {
  const uint8_t *at, *end;
  int ok;
} reader_t;

static uint8_t u8(reader_t *r) {
  if (r->end - r->at < 1) return r->ok = 0, 0;
  return *r->at++;
}
static uint16_t u16(reader_t *r) {
  if (r->end - r->at < 2) return r->ok = 0, 0;
  uint16_t v = (uint16_t)(r->at[0] | (r->at[1] << 8));
  r->at += 2;
  return v;
}
static double f64(reader_t *r) {
  double v = 0;
  if (r->end - r->at < 8) return r->ok = 0, 0;
  memcpy(&v, r->at, 8); /* little-endian, as written by native-rules.ts (DataView, true) */
  r->at += 8;
  return v;
}
static const uint8_t *bytes_of(reader_t *r, uint16_t n) {
  if (r->end - r->at < n) return r->ok = 0, NULL;
  const uint8_t *p = r->at;
  r->at += n;
  return p;
}

static void free_rules(rules_t *rules) {
  if (!rules) return;
  if (rules->versions) {
    for (uint16_t v = 0; v < rules->n_versions; v++) {
      if (!rules->versions[v].rules) continue;
      for (uint16_t f = 0; f < rules->n_names; f++) free(rules->versions[v].rules[f].literals);
      free(rules->versions[v].rules);
    }
  }
  free(rules->versions);
  free(rules->names);
  free(rules->name_lengths);
  free(rules->program);
  free(rules);
}

static rules_t *parse_rules(const uint8_t *program, size_t length) {
  rules_t *rules = calloc(1, sizeof *rules);
  if (!rules || !(rules->program = malloc(length ? length : 1))) return free_rules(rules), NULL;
  memcpy(rules->program, program, length);
  reader_t r = {rules->program, rules->program + length, 1};
  rules->n_names = u16(&r);
  rules->type_field = u16(&r);
  rules->version_field = u16(&r);
  rules->names = calloc(rules->n_names ? rules->n_names : 1, sizeof *rules->names);
  rules->name_lengths = calloc(rules->n_names ? rules->n_names : 1, sizeof *rules->name_lengths);
  if (!rules->names || !rules->name_lengths) return free_rules(rules), NULL;
  for (uint16_t f = 0; f < rules->n_names && r.ok; f++) {
    rules->name_lengths[f] = u16(&r);
    rules->names[f] = bytes_of(&r, rules->name_lengths[f]);
  }
  rules->n_versions = u16(&r);
  rules->versions = calloc(rules->n_versions ? rules->n_versions : 1, sizeof *rules->versions);
  if (!rules->versions) return free_rules(rules), NULL;
  for (uint16_t v = 0; v < rules->n_versions && r.ok; v++) {
    version_t *version = &rules->versions[v];
    version->version = f64(&r);
    if (!(version->rules = calloc(rules->n_names ? rules->n_names : 1, sizeof *version->rules))) return free_rules(rules), NULL;
    for (uint16_t f = 0; f < rules->n_names && r.ok; f++) {
      rule_t *rule = &version->rules[f];
      if (!(rule->present = u8(&r))) continue;
      rule->kind = u8(&r);
      rule->required = u8(&r);
      rule->min = f64(&r), rule->max = f64(&r);
      rule->exclusive_min = u8(&r), rule->exclusive_max = u8(&r);
      rule->min_length = f64(&r), rule->max_length = f64(&r);
      if ((rule->has_class = u8(&r))) {
        const uint8_t *map = bytes_of(&r, 32);
        if (map) memcpy(rule->class_map, map, 32);
      }
      rule->n_literals = u16(&r);
      if (rule->n_literals && !(rule->literals = calloc(rule->n_literals, sizeof *rule->literals))) return free_rules(rules), NULL;
      for (uint16_t l = 0; l < rule->n_literals && r.ok; l++) {
        rule->literals[l].length = u16(&r);
        rule->literals[l].text = bytes_of(&r, rule->literals[l].length);
      }
    }
  }
  if (!r.ok || r.at != r.end || rules->type_field >= rules->n_names || rules->version_field >= rules->n_names) return free_rules(rules), NULL;
  return rules;
}

typedef struct {
  uint16_t field;
  uint8_t token;
  const uint8_t *start, *end; /* the value's bytes (a string's without its quotes) */
} field_t;

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
/* whitespace on one line: a line break would break the lake line (the JavaScript path re-encodes) */
static inline const uint8_t *ws(const uint8_t *p, const uint8_t *end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  return p;
}

/* p just past an opening quote: the closing quote, or NULL for an escape, a control or a non-ASCII byte */
static const uint8_t *plain_string(const uint8_t *p, const uint8_t *end) {
  while (p < end) {
    uint8_t c = *p;
    if (c == '"') return p;
    if (c == '\\' || c < 0x20 || c >= 0x80) return NULL;
    p++;
  }
  return NULL;
}

/* a JSON number's end, or NULL; *integral: no fraction nor exponent */
static const uint8_t *number_end(const uint8_t *p, const uint8_t *end, int *integral) {
  *integral = 1;
  if (p < end && *p == '-') p++;
  if (p >= end) return NULL;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') {
    while (p < end && is_digit(*p)) p++;
  } else return NULL;
  if (p < end && *p == '.') {
    *integral = 0;
    if (++p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    *integral = 0;
    if (++p < end && (*p == '+' || *p == '-')) p++;
    if (p >= end || !is_digit(*p)) return NULL;
    while (p < end && is_digit(*p)) p++;
  }
  return p;
}

static int literal(const uint8_t *p, const uint8_t *end, const char *word) {
  size_t n = strlen(word);
  return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

static int field_of(const rules_t *rules, const uint8_t *name, size_t length) {
  for (uint16_t f = 0; f < rules->n_names; f++)
    if (rules->name_lengths[f] == length && memcmp(rules->names[f], name, length) == 0) return f;
  return -1;
}

static const double POWERS_OF_TEN[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* the number exactly, as JSON.parse reads it (correctly rounded); 0 when not finite or too long */
static int exact_number(const field_t *field, double *value) {
  char text[MAX_NUMBER_CHARS + 1];
  size_t n = (size_t)(field->end - field->start);
  if (n > MAX_NUMBER_CHARS) return 0;
  memcpy(text, field->start, n);
  text[n] = 0;
  *value = strtod(text, NULL);
  return isfinite(*value);
}

enum { NUMBER_NONE = 0, NUMBER_EXACT = 1, NUMBER_NEAR = 2 };

/*
 * The number, cheaply: exact for at most 15 digits without exponent (m / 10^k with m < 2^53
 * and 10^k exact: one IEEE division rounds correctly, as JSON.parse does); within a relative
 * 1e-15 of it for up to 19 digits (GPS fixes print 16 or 17); else read exactly.
 */
static int number_value(const field_t *field, double *value) {
  const uint8_t *p = field->start, *end = field->end;
  int negative = p < end && *p == '-';
  p += negative;
  uint64_t m = 0;
  int digits = 0, fraction = -1;
  for (; p < end; p++) {
    if (*p == '.') {
      fraction = 0;
      continue;
    }
    if (!is_digit(*p) || ++digits > 19) break;
    m = m * 10 + (uint64_t)(*p - '0');
    if (fraction >= 0) fraction++;
  }
  if (p == end && fraction <= 22) {
    double v = fraction > 0 ? (double)m / POWERS_OF_TEN[fraction] : (double)m;
    *value = negative ? -v : v;
    return digits <= 15 ? NUMBER_EXACT : NUMBER_NEAR;
  }
  return exact_number(field, value) ? NUMBER_EXACT : NUMBER_NONE;
}

/* whether a value known within a relative 1e-15 could be on either side of `bound` */
static inline int near(double value, double bound) { return !isnan(bound) && fabs(value - bound) <= 1e-9 * fmax(1.0, fabs(bound)); }

/* the record's text as a token of a literal: a string's with its quotes */
static int matches_literal(const rule_t *rule, const field_t *field) {
  const uint8_t *start = field->token == TOKEN_STRING ? field->start - 1 : field->start;
  const uint8_t *end = field->token == TOKEN_STRING ? field->end + 1 : field->end;
  size_t n = (size_t)(end - start);
  for (uint16_t l = 0; l < rule->n_literals; l++)
    if (rule->literals[l].length == n && memcmp(rule->literals[l].text, start, n) == 0) return 1;
  return 0;
}

static int satisfies(const rule_t *rule, const field_t *field, int integral) {
  double value;
  switch (rule->kind) {
    case KIND_LITERALS:
      return matches_literal(rule, field);
    case KIND_BOOLEAN:
      return field->token == TOKEN_TRUE || field->token == TOKEN_FALSE;
    case KIND_STRING: {
      if (field->token != TOKEN_STRING) return 0;
      double length = (double)(field->end - field->start); /* ASCII: one byte a character */
      if (length < rule->min_length || length > rule->max_length) return 0;
      if (rule->has_class)
        for (const uint8_t *p = field->start; p < field->end; p++)
          if (!(rule->class_map[*p >> 3] & (1 << (*p & 7)))) return 0;
      return 1;
    }
    case KIND_INTEGER:
    case KIND_NUMBER: {
      if (field->token != TOKEN_NUMBER) return 0;
      int how = number_value(field, &value);
      if (how == NUMBER_NONE) return 0;
      /* near a bound, the comparison needs the exact value */
      if (how == NUMBER_NEAR && (near(value, rule->min) || near(value, rule->max) || near(fabs(value), 9007199254740991.0)) && !exact_number(field, &value)) return 0;
      if (rule->kind == KIND_INTEGER && (!integral || fabs(value) > 9007199254740991.0)) return 0;
      if (!isnan(rule->min) && (rule->exclusive_min ? !(value > rule->min) : !(value >= rule->min))) return 0;
      if (!isnan(rule->max) && (rule->exclusive_max ? !(value < rule->max) : !(value <= rule->max))) return 0;
      return 1;
    }
    default:
      return 0;
  }
}

/* whether bytes[start, end) is proven a valid event under the rules */
static int proven(const rules_t *rules, const uint8_t *p, const uint8_t *end) {
  field_t fields[MAX_FIELDS];
  uint8_t integral[MAX_FIELDS];
  int n = 0;
  uint32_t seen[4] = {0}; /* by field name index: up to 128 names */
  if (rules->n_names > 128) return 0;
  p = ws(p, end);
  if (p >= end || *p++ != '{') return 0;
  p = ws(p, end);
  if (p < end && *p == '}') return 0; /* {}: no type, which every event has */
  for (;;) {
    if (p >= end || *p++ != '"') return 0;
    const uint8_t *name = p;
    if (!(p = plain_string(p, end))) return 0;
    int f = field_of(rules, name, (size_t)(p - name));
    if (f < 0 || n == MAX_FIELDS || (seen[f >> 5] & (1u << (f & 31)))) return 0; /* unknown, too many, or twice */
    seen[f >> 5] |= 1u << (f & 31);
    p = ws(p + 1, end);
    if (p >= end || *p++ != ':') return 0;
    p = ws(p, end);
    if (p >= end) return 0;
    field_t *field = &fields[n];
    field->field = (uint16_t)f;
    int whole = 1;
    if (*p == '"') {
      field->token = TOKEN_STRING;
      field->start = ++p;
      if (!(p = plain_string(p, end))) return 0;
      field->end = p++;
    } else if (*p == '-' || is_digit(*p)) {
      field->token = TOKEN_NUMBER;
      field->start = p;
      if (!(p = number_end(p, end, &whole))) return 0;
      field->end = p;
    } else if (literal(p, end, "true")) {
      field->token = TOKEN_TRUE, field->start = p, field->end = p + 4, p += 4;
    } else if (literal(p, end, "false")) {
      field->token = TOKEN_FALSE, field->start = p, field->end = p + 5, p += 5;
    } else if (literal(p, end, "null")) {
      field->token = TOKEN_NULL, field->start = p, field->end = p + 4, p += 4;
    } else return 0; /* an object or an array: not the flat case */
    integral[n++] = (uint8_t)whole;
    p = ws(p, end);
    if (p >= end) return 0;
    if (*p == ',') {
      p = ws(p + 1, end);
      continue;
    }
    if (*p++ != '}') return 0;
    break;
  }
  if (ws(p, end) != end) return 0;
  /* the version names the rules */
  const version_t *version = NULL;
  for (int i = 0; i < n; i++) {
    if (fields[i].field != rules->version_field) continue;
    double v;
    if (fields[i].token != TOKEN_NUMBER || !integral[i] || number_value(&fields[i], &v) != NUMBER_EXACT) return 0;
    for (uint16_t k = 0; k < rules->n_versions; k++)
      if (rules->versions[k].version == v) version = &rules->versions[k];
  }
  if (!version) return 0;
  int have_type = 0;
  for (int i = 0; i < n; i++) {
    const rule_t *rule = &version->rules[fields[i].field];
    if (!rule->present || !satisfies(rule, &fields[i], integral[i])) return 0;
    have_type |= fields[i].field == rules->type_field;
  }
  if (!have_type) return 0;
  for (uint16_t f = 0; f < rules->n_names; f++)
    if (version->rules[f].present && version->rules[f].required && !(seen[f >> 5] & (1u << (f & 31)))) return 0;
  return 1;
}

/* a non-negative integer below 2^53 in decimal; returns its length */
static size_t decimal(uint8_t *out, double value) {
  char digits[24];
  size_t n = 0;
  uint64_t v = (uint64_t)value;
  do digits[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)digits[n - 1 - i];
  return n;
}

static size_t put(uint8_t *out, const char *text) {
  size_t n = strlen(text);
  memcpy(out, text, n);
  return n;
}

static int typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok || type != want) return 0;
  return 1;
}

static void finalize_rules(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  free_rules(data);
}

static napi_value rules(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  void *program;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !typed_array(env, argv[0], napi_uint8_array, &program, &length)) {
    napi_throw_type_error(env, NULL, "rules(program: Uint8Array)");
    return NULL;
  }
  rules_t *parsed = parse_rules(program, length);
  if (!parsed) {
    napi_throw_range_error(env, NULL, "rules: the program is malformed");
    return NULL;
  }
  if (napi_create_external(env, parsed, finalize_rules, NULL, &result) != napi_ok) {
    free_rules(parsed);
    return NULL;
  }
  return result;
}

static napi_value write_lines(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  void *external, *bytes, *spans, *offsets, *stamps, *out, *result;
  size_t n_bytes, n_spans, n_offsets, n_stamps, n_out, n_result;
  double from, to, partition, at, stop_after;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 12 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external || napi_get_value_external(env, argv[0], &external) != napi_ok ||
      !typed_array(env, argv[1], napi_uint8_array, &bytes, &n_bytes) || !typed_array(env, argv[2], napi_uint32_array, &spans, &n_spans) ||
      !typed_array(env, argv[3], napi_float64_array, &offsets, &n_offsets) || !typed_array(env, argv[4], napi_float64_array, &stamps, &n_stamps) ||
      napi_get_value_double(env, argv[5], &from) != napi_ok || napi_get_value_double(env, argv[6], &to) != napi_ok ||
      napi_get_value_double(env, argv[7], &partition) != napi_ok || !typed_array(env, argv[8], napi_uint8_array, &out, &n_out) ||
      napi_get_value_double(env, argv[9], &at) != napi_ok || napi_get_value_double(env, argv[10], &stop_after) != napi_ok ||
      !typed_array(env, argv[11], napi_float64_array, &result, &n_result)) {
    napi_throw_type_error(env, NULL, "write(rules, bytes: Uint8Array, spans: Uint32Array, offsets: Float64Array, stamps: Float64Array, from, to, partition, out: Uint8Array, at, stopAfter, result: Float64Array)");
    return NULL;
  }
  size_t records = n_spans / 2;
  if (n_result < 3 || !(from >= 0 && from <= to && to <= (double)records) || n_offsets < records || n_stamps < records ||
      !(at >= 0 && at <= (double)n_out) || !(partition >= 0 && partition <= 2147483647.0)) {
    napi_throw_range_error(env, NULL, "write: from..to must be records of spans, offsets and stamps, at inside out");
    return NULL;
  }
  const rules_t *rules = external;
  const uint8_t *base = bytes;
  const uint32_t *span = spans;
  const double *offset = offsets, *stamp = stamps;
  uint8_t *into = out;
  double *r = result;
  size_t used = (size_t)at, began = used, i = (size_t)from, end = (size_t)to;
  int stop = STOP_DONE;
  for (; i < end; i++) {
    uint32_t s = span[2 * i], e = span[2 * i + 1];
    if (s > e || e > n_bytes || !(offset[i] >= 0 && offset[i] < 9007199254740992.0) || !(stamp[i] >= 0 && stamp[i] < 9007199254740992.0) ||
        !proven(rules, base + s, base + e)) {
      stop = STOP_UNPROVEN;
      break;
    }
    /* {"p":,"o":,"t":,"v":} and a line break: 22 bytes, then three numbers of at most 16 digits and the value */
    if (n_out - used < 22 + 3 * 16 + (size_t)(e - s)) {
      stop = STOP_ROOM;
      break;
    }
    used += put(into + used, "{\"p\":");
    used += decimal(into + used, partition);
    used += put(into + used, ",\"o\":");
    used += decimal(into + used, offset[i]);
    used += put(into + used, ",\"t\":");
    used += decimal(into + used, stamp[i]);
    used += put(into + used, ",\"v\":");
    memcpy(into + used, base + s, e - s);
    used += e - s;
    used += put(into + used, "}\n");
    if ((double)(used - began) >= stop_after) {
      i++;
      stop = i < end ? STOP_BYTES : STOP_DONE;
      break;
    }
  }
  r[0] = (double)i, r[1] = (double)used, r[2] = stop;
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } exported[] = {{"rules", rules}, {"write", write_lines}};
  for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, exported[i].name, NAPI_AUTO_LENGTH, exported[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, exported[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
