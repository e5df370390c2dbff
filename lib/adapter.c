/* SPDX-License-Identifier: MIT */
/* The registry of helpdesk adapters, looked up by the config's "type:". */
#include "adapter.h"

#include "config.h"

#include <stddef.h>
#include <string.h>

static const struct lia_adapter *const adapters[] = {
    &lia_adapter_generic,
    &lia_adapter_zendesk,
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
    return "generic, zendesk";
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
