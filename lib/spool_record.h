/* SPDX-License-Identifier: MIT */
/* The framing of one spool record: a magic word, the payload's length and a CRC32C over both,
 * then the payload. Encoding, decoding and verification only; the files that hold records are
 * daemon/spool.c's. A reader can tell a record cut short at the end of a file (torn by a crash
 * during the write) from one that was damaged, and skips to the next intact record after
 * damage instead of trusting a corrupted length. */
#ifndef LIA_SPOOL_RECORD_H
#define LIA_SPOOL_RECORD_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

#define LIA_SPOOL_RECORD_MAGIC   UINT32_C(0x4c535231) /* "LSR1" */
#define LIA_SPOOL_RECORD_HEADER  12                   /* magic, length, CRC32C: little-endian */
#define LIA_SPOOL_RECORD_MAX_LEN (16u * 1024u * 1024u)

/* CRC32C (Castagnoli) of len bytes, continuing from crc (0 to start). Cannot fail. */
uint32_t lia_crc32c(uint32_t crc, const void *data, size_t len);

/* Appends the record of payload[0..len) to out. Returns 0, or -1 (out unchanged) when len is
 * over LIA_SPOOL_RECORD_MAX_LEN or out would pass its maximum. */
int lia_spool_record_encode(struct lia_buf *out, const void *payload, size_t len);

enum lia_spool_record_status {
    LIA_SPOOL_RECORD_OK = 0, /* *payload, *payload_len hold the record's payload */
    LIA_SPOOL_RECORD_END,    /* no bytes left */
    LIA_SPOOL_RECORD_TORN,   /* the bytes left are an incomplete last record */
    LIA_SPOOL_RECORD_CORRUPT /* damaged bytes; *consumed skips to the next intact record */
};

/* Decodes the record at the start of data[0..len). On OK, *payload points into data and
 * *consumed is the record's size; on TORN, *consumed is len (the rest of the file is the torn
 * record); on CORRUPT, *consumed is the offset of the next intact record, or len when none
 * follows; on END it is 0. Pure; never reads past len. */
enum lia_spool_record_status lia_spool_record_decode(const void *data, size_t len,
                                                     const void **payload, size_t *payload_len,
                                                     size_t *consumed);

#endif
