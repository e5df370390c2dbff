/* SPDX-License-Identifier: MIT */
/* Spool record framing (see spool_record.h). */
#include "spool_record.h"

#include <pthread.h>

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) != 0 ? (c >> 1) ^ UINT32_C(0x82f63b78) : c >> 1;
        }
        crc32c_table[i] = c;
    }
}

uint32_t lia_crc32c(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc32c_once, crc32c_init);
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

static void put_le32(uint8_t *out, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_le32(const uint8_t *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

/* The CRC covers the length too, so a damaged length is caught like damaged payload. */
static uint32_t record_crc(const uint8_t *length_field, const void *payload, size_t len)
{
    return lia_crc32c(lia_crc32c(0, length_field, 4), payload, len);
}

int lia_spool_record_encode(struct lia_buf *out, const void *payload, size_t len)
{
    if (len > LIA_SPOOL_RECORD_MAX_LEN) {
        return -1;
    }
    uint8_t header[LIA_SPOOL_RECORD_HEADER];
    put_le32(header, LIA_SPOOL_RECORD_MAGIC);
    put_le32(header + 4, (uint32_t)len);
    put_le32(header + 8, record_crc(header + 4, payload, len));
    size_t before = out->len;
    if (lia_buf_append(out, header, sizeof(header)) != 0 ||
        lia_buf_append(out, payload, len) != 0) {
        out->len = before;
        return -1;
    }
    return 0;
}

enum check { CHECK_OK, CHECK_SHORT, CHECK_BAD };

static enum check check_at(const uint8_t *p, size_t avail, size_t *payload_len)
{
    if (avail < 4) {
        return CHECK_SHORT;
    }
    if (get_le32(p) != LIA_SPOOL_RECORD_MAGIC) {
        return CHECK_BAD;
    }
    if (avail < LIA_SPOOL_RECORD_HEADER) {
        return CHECK_SHORT;
    }
    uint32_t len = get_le32(p + 4);
    if (len > LIA_SPOOL_RECORD_MAX_LEN) {
        return CHECK_BAD;
    }
    if (avail - LIA_SPOOL_RECORD_HEADER < len) {
        return CHECK_SHORT;
    }
    if (get_le32(p + 8) != record_crc(p + 4, p + LIA_SPOOL_RECORD_HEADER, len)) {
        return CHECK_BAD;
    }
    *payload_len = len;
    return CHECK_OK;
}

enum lia_spool_record_status lia_spool_record_decode(const void *data, size_t len,
                                                     const void **payload, size_t *payload_len,
                                                     size_t *consumed)
{
    const uint8_t *p = data;
    *consumed = 0;
    if (len == 0) {
        return LIA_SPOOL_RECORD_END;
    }
    size_t plen = 0;
    enum check first = check_at(p, len, &plen);
    if (first == CHECK_OK) {
        *payload = p + LIA_SPOOL_RECORD_HEADER;
        *payload_len = plen;
        *consumed = LIA_SPOOL_RECORD_HEADER + plen;
        return LIA_SPOOL_RECORD_OK;
    }
    /* An intact record further on proves these bytes were damaged rather than cut short. */
    for (size_t at = 1; at + LIA_SPOOL_RECORD_HEADER <= len; at++) {
        if (check_at(p + at, len - at, &plen) == CHECK_OK) {
            *consumed = at;
            return LIA_SPOOL_RECORD_CORRUPT;
        }
    }
    *consumed = len;
    return first == CHECK_SHORT ? LIA_SPOOL_RECORD_TORN : LIA_SPOOL_RECORD_CORRUPT;
}
