/* SPDX-License-Identifier: MIT */
/* The registry of helpdesk adapters, looked up by the config's "type:". */
#include "adapter.h"

#include "config.h"
#include "jsonutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct lia_adapter *const adapters[] = {
    &lia_adapter_generic,   &lia_adapter_zendesk, &lia_adapter_freshdesk, &lia_adapter_intercom,
    &lia_adapter_helpscout, &lia_adapter_jira,    &lia_adapter_front,
};

const struct lia_adapter *lia_adapter_find(const char *type)
{
    for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++) {
        if (strcmp(adapters[i]->type, type) == 0) {
            return adapters[i];
        }
    }
    return NULL;
}

const char *lia_adapter_type_list(void)
{
    return "generic, zendesk, freshdesk, intercom, helpscout, jira, front";
}

int lia_adapter_check_replay(const struct lia_source *src, int64_t signed_ms, int64_t now_ms,
                             struct lia_err *err)
{
    if (src->replay_window_ms == 0) {
        return 0;
    }
    int64_t skew = now_ms - signed_ms;
    if (skew > src->replay_window_ms) {
        return lia_err_set(err, LIA_E_STALE_TIMESTAMP, NULL,
                           "signature timestamp is %lld s old; the window is %lld s",
                           (long long)(skew / 1000), (long long)(src->replay_window_ms / 1000));
    }
    if (-skew > src->replay_window_ms) {
        return lia_err_set(err, LIA_E_STALE_TIMESTAMP, NULL,
                           "signature timestamp is %lld s in the future; the window is %lld s",
                           (long long)(-skew / 1000), (long long)(src->replay_window_ms / 1000));
    }
    return 0;
}

/* True when mode is the choice of modes ('|'-separated) that starts at p. */
static bool choice_at(const char *p, const char *mode)
{
    size_t n = strlen(mode);
    return strncmp(p, mode, n) == 0 && (p[n] == '|' || p[n] == '\0');
}

static bool is_mode(const char *modes, const char *mode)
{
    for (const char *p = modes; p != NULL;) {
        if (choice_at(p, mode)) {
            return true;
        }
        p = strchr(p, '|');
        if (p != NULL) {
            p++;
        }
    }
    return false;
}

int lia_adapter_check_source(const struct lia_source *src, struct lia_err *err)
{
    const struct lia_adapter *a = src->adapter;
    char path[sizeof(err->path)];
    if (src->mode != NULL && (a->modes == NULL || !is_mode(a->modes, src->mode))) {
        snprintf(path, sizeof(path), "sources.%s.mode", src->name);
        if (a->modes == NULL) {
            return lia_err_set(err, LIA_E_CONFIG, path, "type %s has no modes", a->type);
        }
        return lia_err_set(err, LIA_E_CONFIG, path, "type %s has modes %s, got \"%.32s\"", a->type,
                           a->modes, src->mode);
    }
    if (a->check != NULL) {
        return a->check(src, err);
    }
    const char *key = src->username != NULL ? "username" : "auth_header";
    if (src->username != NULL || src->auth_header != NULL) {
        snprintf(path, sizeof(path), "sources.%s.%s", src->name, key);
        return lia_err_set(err, LIA_E_CONFIG, path, "not used by type %s", a->type);
    }
    return 0;
}

bool lia_adapter_mode_is(const struct lia_source *src, const char *mode)
{
    if (src->mode != NULL) {
        return strcmp(src->mode, mode) == 0;
    }
    const char *modes = src->adapter != NULL ? src->adapter->modes : NULL;
    return modes != NULL && choice_at(modes, mode);
}

int lia_adapter_verify_body_hmac(const struct lia_source *src, const struct lia_request *req,
                                 const char *name, const char *prefix, enum lia_hmac_alg alg,
                                 bool base64, struct lia_err *err)
{
    const char *sig = req->header(req->header_ctx, name);
    if (sig == NULL) {
        return lia_err_set(err, LIA_E_MISSING_SIGNATURE, NULL, "%s header is required", name);
    }
    size_t n = strlen(prefix);
    if (strncmp(sig, prefix, n) != 0) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "%s must be %s<%s>", name, prefix,
                           base64 ? "base64" : "hex");
    }
    const struct lia_bytes body = {req->body, req->body_len};
    if (!lia_hmac_verify(alg, src->secret, strlen(src->secret), &body, 1, sig + n, base64)) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "signature does not match");
    }
    return 0;
}

const char *lia_fields_printf(struct lia_fields *fields, const char *fmt, ...)
{
    size_t room = sizeof(fields->scratch) - fields->scratch_used;
    char *at = fields->scratch + fields->scratch_used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room || n > LIA_TICKET_MAX_TEXT) {
        return NULL;
    }
    fields->scratch_used += (size_t)n + 1;
    return at;
}

void lia_adapter_resolve(const struct lia_source *src, const json_t *node,
                         const char *const *pointers, struct lia_fields *fields)
{
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        if (src->fields[f] == NULL) {
            fields->json[f] = pointers[f] == NULL ? NULL : lia_json_pointer(node, pointers[f]);
        }
    }
}

const json_t *lia_adapter_named_value(const json_t *array, const char *name_key, const char *name,
                                      const char *value_key)
{
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *s = json_string_value(json_object_get(item, name_key));
        if (s != NULL && strcasecmp(s, name) == 0) {
            return json_object_get(item, value_key);
        }
    }
    return NULL;
}
