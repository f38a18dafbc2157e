/*
 * scrub.h: secret scrubbing (DESIGN.md, Security).
 *
 * A rule set is compiled once (PCRE2 with JIT) from the built-in rules and,
 * optionally, a rules file (scrub.rules_file) that adds rules or overrides
 * or disables built-in ones by name.  scrub_event() walks every string of an
 * event's "data" member, including strings that are themselves JSON, and
 * replaces each secret with "[REDACTED:<rule>]".  Object keys named like
 * credentials (password, secret, token, api_key, ...) have their string
 * values replaced whole.  Base64 image payloads are skipped.  No I/O after
 * scrub_new(), no logging.
 */
#ifndef HOOKWIRE_SCRUB_H
#define HOOKWIRE_SCRUB_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct scrub;

/*
 * Compiles the rules: the built-in set unless builtin is 0, then the rules
 * file when rules_file is non-NULL and non-empty.  Returns a new rule set
 * (free with scrub_free()), or NULL with a message in err naming the file,
 * line and rule.
 */
struct scrub *scrub_new(const char *rules_file, int builtin, char *err, size_t errlen);
void scrub_free(struct scrub *s);

/*
 * Scrubs ev's "data" in place and adds the count to ev's meta.scrubbed.
 * Returns the number of redactions made (0 when nothing was found), or -1
 * when out of memory (or when data is nested deeper than 1024 levels, which
 * is refused rather than passed on unscrubbed).
 */
int scrub_event(struct scrub *s, json_object *ev);

/*
 * Scrubs one string.  Returns a newly allocated string (caller frees) and its
 * length in *outlen when something was redacted, NULL otherwise (nothing
 * found or out of memory: *n says which, -1 for out of memory).
 */
char *scrub_string(struct scrub *s, const char *in, size_t len, size_t *outlen, int *n);

/*
 * Returns 1 when scrub_event() would certainly redact nothing in a "data"
 * member whose JSON text is p[0..len): no rule has a trigger in the text, and
 * every rule has triggers.  The text must hold no \/ and no \u escape but of
 * a control character, and no \\ before a u or a / (event_scan() says so in
 * es_data_plain).  Returns 0 when scrub_event() must look.
 */
int scrub_text_clean(struct scrub *s, const char *p, size_t len);

/* Rules, for the counters in the ring header: names and hit counts. */
size_t scrub_nrules(const struct scrub *s);
const char *scrub_rule_name(const struct scrub *s, size_t i);
uint64_t scrub_rule_hits(const struct scrub *s, size_t i);

#endif
