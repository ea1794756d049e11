/*
 * image.h - the firmware image's insides, shared by image.c, format.c and
 * the fmt_*.c readers and writers. Users see only the opaque handle.
 */
#ifndef DFU_IMAGE_H
#define DFU_IMAGE_H

#include "knowledge.h"

/* One run of bytes at an address. The bytes live inside a larger block
 * (base, cap bytes) with room before and after them, so that adding record
 * after record, in rising or falling address order, stays linear. */
struct dfu_seg {
	uint32_t addr;
	uint32_t size;
	uint8_t *data;          /* the first byte, inside base */
	uint8_t *base;          /* the allocation */
	size_t cap;             /* its size */
};

/* What one DFU alternate setting gets: ordered, non-overlapping, and
 * non-adjacent segments (adjacent ones are merged on insertion). */
struct dfu_target {
	uint8_t alt;
	char *name;             /* never NULL; "" when unnamed */
	struct dfu_seg *segs;
	size_t nsegs;
	size_t cap;
};

struct dfu_image {
	struct dfu_target *targets;
	size_t ntargets;
	struct dfu_image_info info;
};

/* A growable output buffer for the writers. On failure the buffer keeps
 * what it had, and the caller frees it with dfu_buf_free(). */
struct dfu_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;            /* a growth failed; later puts are dropped */
};

/* Makes room for n more bytes up front, so that a writer that knows its
 * output size does not double its buffer past it. */
void dfu_buf_reserve(struct dfu_buf *buf, size_t n);
void dfu_buf_put(struct dfu_buf *buf, const void *p, size_t n);
void dfu_buf_put_u8(struct dfu_buf *buf, uint8_t v);
void dfu_buf_put_le16(struct dfu_buf *buf, uint16_t v);
void dfu_buf_put_le32(struct dfu_buf *buf, uint32_t v);
void dfu_buf_put_fill(struct dfu_buf *buf, uint8_t v, size_t n);
void dfu_buf_free(struct dfu_buf *buf);

/* Adds data like dfu_image_add_data(); where ("fw.hex: line 12") is put in
 * front of an overlap message so that it names the place in the file. */
int dfu_image_add(struct dfu_ctx *ctx, struct dfu_image *img, size_t target,
		  uint32_t addr, const uint8_t *data, size_t len, const char *where);

/* Puts a place in front of the detail message a callee has set, so that
 * "0x08000010: data overlaps ..." becomes "fw.hex: line 12: 0x080...". */
int dfu_fail_prefix(struct dfu_ctx *ctx, int err, const char *fmt, ...) DFU_PRINTF(3, 4);

/* Text formats (fmt_text.c). dfu_text_line() returns the next line of
 * data at *pos without its end of line ("\n" or "\r\n") and leading and
 * trailing blanks, and moves *pos past it; false at the end of the data. */
bool dfu_text_line(const uint8_t *data, size_t len, size_t *pos,
		   const uint8_t **line, size_t *n);
/* Decodes n hex digits into n/2 bytes (an odd last digit is only checked,
 * so that a bad character is reported before a bad length); on one fails
 * with DFU_ERR_FORMAT naming name, line and column (col0 is the column of
 * s[0], counted from 1). More digits than out's cap bytes can hold fail
 * first, naming the line's length: no record of the format is that long. */
int dfu_text_unhex(struct dfu_ctx *ctx, const char *name, unsigned line,
		   size_t col0, const uint8_t *s, size_t n, uint8_t *out, size_t cap);
/* A character as a message shows it: 'x', or \xHH when not printable. */
const char *dfu_text_char(uint8_t c, char buf[8]);
/* Appends the two upper-case hex digits of v to p; returns p + 2. */
char *dfu_text_hex8(char *p, uint8_t v);

/* A record's checksum is the complement of the sum of its other bytes. */
enum dfu_text_sum {
	DFU_TEXT_SUM_NEG,       /* two's complement: Intel HEX */
	DFU_TEXT_SUM_NOT,       /* one's complement: S-record */
};

/* Bytes in the longest record with its checksum (Intel HEX: count, address,
 * type, 255 data bytes, checksum; an S-record has at most 256). */
#define DFU_TEXT_MAX_RECORD (1 + 2 + 1 + 255 + 1)

/* Checks that the last of a record's n (>= 1) bytes is the checksum of the
 * ones before it; else fails with DFU_ERR_CHECKSUM naming name and line. */
int dfu_text_check_sum(struct dfu_ctx *ctx, const char *name, unsigned line,
		       enum dfu_text_sum kind, const uint8_t *rec, size_t n);
/* Appends one record line: lead (":", "S3"), the hex digits of head and
 * data, their checksum and "\n". nhead + ndata < DFU_TEXT_MAX_RECORD. */
void dfu_text_record(struct dfu_buf *out, const char *lead, enum dfu_text_sum kind,
		     const uint8_t *head, size_t nhead, const uint8_t *data, size_t ndata);

/* Walks a target's data (t may be NULL: nothing) in pieces for records:
 * dfu_text_next_piece() returns the next at most max bytes, starting over
 * at each segment and, when split is not 0, never crossing a multiple of
 * split; false when all have been returned. Start with { .t = t }. */
struct dfu_text_walk {
	const struct dfu_target *t;
	size_t seg;             /* the segment the next piece comes from */
	uint64_t off;           /* and its offset in it */
};
bool dfu_text_next_piece(struct dfu_text_walk *w, size_t max, uint64_t split,
			 uint32_t *addr, const uint8_t **p, size_t *n);

/* Bytes of data in a target's segments. */
uint64_t dfu_target_bytes(const struct dfu_target *t);

/* The span [lo, hi) covered by a target's segments; false when empty. */
bool dfu_target_span(const struct dfu_target *t, uint32_t *lo, uint64_t *hi);

/* Little-endian helpers for the binary formats. */
static inline uint16_t dfu_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t dfu_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The DFU suffix CRC (DFU 1.1 appendix B): zlib's CRC-32 without its final
 * inversion, over every byte of the file but the last four. */
uint32_t dfu_suffix_crc(const uint8_t *data, size_t len);

/* Readers: fill img (which has no targets yet) from a whole file. name is
 * the file's name for messages. */
int dfu_fmt_bin_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);
int dfu_fmt_dfu_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);
int dfu_fmt_dfuse_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		       size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);
int dfu_fmt_ihex_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		      size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);
int dfu_fmt_srec_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		      size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);
int dfu_fmt_elf_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img);

/* Checks and records a DFU suffix at the end of data into img->info. Used by
 * the plain DFU and DfuSe readers. */
int dfu_fmt_suffix_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
			size_t len, const struct dfu_read_opts *opts,
			struct dfu_image *img);

/* Writers: append the whole file to out. */
int dfu_fmt_bin_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out);
int dfu_fmt_dfu_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out);
int dfu_fmt_dfuse_write(struct dfu_ctx *ctx, const struct dfu_image *img,
			const struct dfu_write_opts *opts, struct dfu_buf *out);
int dfu_fmt_ihex_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_write_opts *opts, struct dfu_buf *out);
int dfu_fmt_srec_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		       const struct dfu_write_opts *opts, struct dfu_buf *out);
int dfu_fmt_elf_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out);

/* The single target that formats without targets can write; fails with
 * DFU_ERR_UNSUPPORTED naming fmt when img has several. *t is NULL when the
 * image has no target at all. */
int dfu_image_single_target(struct dfu_ctx *ctx, const struct dfu_image *img,
			    const char *fmt, const struct dfu_target **t);

/* Largest .bin we will fill gaps for: beyond it the image is surely two
 * memories (flash and option bytes) that belong in a .dfu or .hex. */
#define DFU_BIN_MAX_SPAN (64u * 1024 * 1024)

#endif /* DFU_IMAGE_H */
