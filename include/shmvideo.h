/*
 * shmvideo.h: the C view of the SHMVIDEO 1.0 shared-memory video segment,
 * and a header-only producer (create, publish, close) in C11 atomics.
 *
 * The normative specification is docs/shm-format.md; this header follows it
 * and checks every offset at compile time. Linux only (futex, OFD locks).
 * Build with -std=c11 or later; define _GNU_SOURCE before any include, or
 * let this header do it if it comes first.
 *
 *   struct shmvideo_writer w;
 *   if (shmvideo_create(&w, "/dev/shm", "cam", 64, 1 << 20, 1280, 720, 30, 1, 0600) < 0) ...
 *   for (;;) {
 *       if (shmvideo_keyframe_requested(&w)) force_idr();
 *       shmvideo_publish(&w, au, au_len, pts90k, dts90k, 0, is_idr ? SHMVIDEO_SLOT_KEY : 0);
 *   }
 *   shmvideo_close(&w);
 */
#ifndef SHMVIDEO_H
#define SHMVIDEO_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SHMVIDEO_MAGIC "SHMVIDEO"
#define SHMVIDEO_VERSION_MAJOR 1
#define SHMVIDEO_VERSION_MINOR 0
#define SHMVIDEO_HEADER_SIZE 4096u
#define SHMVIDEO_SLOT_HEADER_SIZE 128u
#define SHMVIDEO_PAGE 4096u
#define SHMVIDEO_MAX_SLOTS 65536u
#define SHMVIDEO_MAX_PAYLOAD (64u << 20)
#define SHMVIDEO_CRC_LEN 252u /* header_crc covers bytes [0, 252) */

/* state */
#define SHMVIDEO_STATE_INIT 0u
#define SHMVIDEO_STATE_LIVE 1u
#define SHMVIDEO_STATE_CLOSED 2u
/* stream_flags */
#define SHMVIDEO_STREAM_ANNEXB 0x1u
#define SHMVIDEO_STREAM_PARAMS_IN_BAND 0x2u
/* slot flags */
#define SHMVIDEO_SLOT_KEY 0x1u
#define SHMVIDEO_SLOT_DISCONTINUITY 0x2u

/* The header page. Little-endian, as every supported target is. */
struct shmvideo_header {
	/* Identity and stream info: immutable once published, CRC-protected. */
	char magic[8];               /*   0 "SHMVIDEO", stored last */
	uint16_t version_major;      /*   8 */
	uint16_t version_minor;      /*  10 */
	uint32_t header_size;        /*  12 */
	uint32_t slot_count;         /*  16 power of two */
	uint32_t slot_header_size;   /*  20 */
	uint32_t slot_stride;        /*  24 multiple of 4096 */
	uint32_t max_payload;        /*  28 */
	uint64_t segment_size;       /*  32 */
	uint64_t segment_id;         /*  40 random, non-zero */
	char codec[4];               /*  48 "H264" */
	uint32_t stream_flags;       /*  52 */
	uint32_t width;              /*  56 */
	uint32_t height;             /*  60 */
	uint32_t fps_num;            /*  64 */
	uint32_t fps_den;            /*  68 */
	uint32_t writer_pid;         /*  72 */
	uint32_t required_features;  /*  76 must be 0 in 1.x */
	int64_t created_unix_ns;     /*  80 CLOCK_REALTIME */
	uint64_t reserved0;          /*  88 */
	char name[64];               /*  96 NUL-padded */
	uint8_t reserved1[92];       /* 160 */
	uint32_t header_crc;         /* 252 CRC-32 (IEEE) of bytes [0, 252) */
	/* Writer line: written by the writer only. */
	_Atomic uint64_t write_seq;          /* 256 last complete frame, 0 = none */
	_Atomic uint64_t last_key_seq;       /* 264 */
	_Atomic int64_t heartbeat_mono_ns;   /* 272 */
	_Atomic uint32_t state;              /* 280 */
	uint8_t reserved2[36];               /* 284 */
	/* Wake line. */
	_Atomic uint32_t notify;             /* 320 the futex word */
	_Atomic uint32_t waiters;            /* 324 readers asleep or about to be */
	uint8_t reserved3[56];               /* 328 */
	/* Reader line: written by readers. */
	_Atomic uint64_t keyframe_req;       /* 384 */
	_Atomic int64_t reader_active_mono_ns; /* 392 */
	uint8_t reserved4[SHMVIDEO_HEADER_SIZE - 400];
};

/* The header of every slot; the payload follows at slot_header_size. */
struct shmvideo_slot {
	_Atomic uint64_t commit;     /*   0 seqlock: seq<<1|1 writing, seq<<1 complete */
	int64_t pts;                 /*   8 90 kHz */
	int64_t dts;                 /*  16 90 kHz */
	int64_t capture_mono_ns;     /*  24 CLOCK_MONOTONIC */
	uint32_t payload_len;        /*  32 */
	uint32_t flags;              /*  36 */
	uint32_t width;              /*  40 */
	uint32_t height;             /*  44 */
	uint8_t reserved[80];        /*  48 */
};

#define SHMVIDEO_OFF(t, f, o) _Static_assert(offsetof(struct t, f) == (o), #t "." #f " at " #o)
SHMVIDEO_OFF(shmvideo_header, magic, 0);
SHMVIDEO_OFF(shmvideo_header, version_major, 8);
SHMVIDEO_OFF(shmvideo_header, version_minor, 10);
SHMVIDEO_OFF(shmvideo_header, header_size, 12);
SHMVIDEO_OFF(shmvideo_header, slot_count, 16);
SHMVIDEO_OFF(shmvideo_header, slot_header_size, 20);
SHMVIDEO_OFF(shmvideo_header, slot_stride, 24);
SHMVIDEO_OFF(shmvideo_header, max_payload, 28);
SHMVIDEO_OFF(shmvideo_header, segment_size, 32);
SHMVIDEO_OFF(shmvideo_header, segment_id, 40);
SHMVIDEO_OFF(shmvideo_header, codec, 48);
SHMVIDEO_OFF(shmvideo_header, stream_flags, 52);
SHMVIDEO_OFF(shmvideo_header, width, 56);
SHMVIDEO_OFF(shmvideo_header, height, 60);
SHMVIDEO_OFF(shmvideo_header, fps_num, 64);
SHMVIDEO_OFF(shmvideo_header, fps_den, 68);
SHMVIDEO_OFF(shmvideo_header, writer_pid, 72);
SHMVIDEO_OFF(shmvideo_header, required_features, 76);
SHMVIDEO_OFF(shmvideo_header, created_unix_ns, 80);
SHMVIDEO_OFF(shmvideo_header, reserved0, 88);
SHMVIDEO_OFF(shmvideo_header, name, 96);
SHMVIDEO_OFF(shmvideo_header, reserved1, 160);
SHMVIDEO_OFF(shmvideo_header, header_crc, 252);
SHMVIDEO_OFF(shmvideo_header, write_seq, 256);
SHMVIDEO_OFF(shmvideo_header, last_key_seq, 264);
SHMVIDEO_OFF(shmvideo_header, heartbeat_mono_ns, 272);
SHMVIDEO_OFF(shmvideo_header, state, 280);
SHMVIDEO_OFF(shmvideo_header, notify, 320);
SHMVIDEO_OFF(shmvideo_header, waiters, 324);
SHMVIDEO_OFF(shmvideo_header, keyframe_req, 384);
SHMVIDEO_OFF(shmvideo_header, reader_active_mono_ns, 392);
SHMVIDEO_OFF(shmvideo_slot, commit, 0);
SHMVIDEO_OFF(shmvideo_slot, pts, 8);
SHMVIDEO_OFF(shmvideo_slot, dts, 16);
SHMVIDEO_OFF(shmvideo_slot, capture_mono_ns, 24);
SHMVIDEO_OFF(shmvideo_slot, payload_len, 32);
SHMVIDEO_OFF(shmvideo_slot, flags, 36);
SHMVIDEO_OFF(shmvideo_slot, width, 40);
SHMVIDEO_OFF(shmvideo_slot, height, 44);
SHMVIDEO_OFF(shmvideo_slot, reserved, 48);
_Static_assert(sizeof(struct shmvideo_header) == SHMVIDEO_HEADER_SIZE, "header page is 4096 bytes");
_Static_assert(sizeof(struct shmvideo_slot) == SHMVIDEO_SLOT_HEADER_SIZE, "slot header is 128 bytes");
_Static_assert(sizeof(_Atomic uint64_t) == 8 && ATOMIC_LLONG_LOCK_FREE == 2, "lock-free 64-bit atomics");
_Static_assert(sizeof(_Atomic uint32_t) == 4 && ATOMIC_INT_LOCK_FREE == 2, "lock-free 32-bit atomics");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "SHMVIDEO is little-endian");

/* A writer: one per segment, one thread at a time. */
struct shmvideo_writer {
	int fd;
	struct shmvideo_header *hdr;
	uint64_t seq;       /* last frame published */
	uint64_t kf_seen;   /* keyframe_req value last consumed */
	char path[4096];
};

static inline uint32_t shmvideo_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *b++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & -(c & 1u));
	}
	return ~c;
}

static inline int64_t shmvideo_clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline struct shmvideo_slot *shmvideo_slot_at(struct shmvideo_header *h, uint64_t seq)
{
	return (struct shmvideo_slot *)((char *)h + h->header_size +
	                                (seq & (h->slot_count - 1)) * (uint64_t)h->slot_stride);
}

static inline void shmvideo_wake(struct shmvideo_header *h)
{
	syscall(SYS_futex, &h->notify, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); /* shared: not _PRIVATE */
}

/*
 * shmvideo_publish: the writer's algorithm (docs/shm-format.md, "Writer").
 * Never waits for readers. Returns 0, or -EMSGSIZE if len > max_payload.
 * capture_ns 0 means "now" (CLOCK_MONOTONIC).
 */
static inline int shmvideo_publish(struct shmvideo_writer *w, const void *data, uint32_t len,
                                   int64_t pts, int64_t dts, int64_t capture_ns, uint32_t flags)
{
	struct shmvideo_header *h = w->hdr;
	if (len > h->max_payload)
		return -EMSGSIZE;
	uint64_t seq = w->seq + 1;
	struct shmvideo_slot *s = shmvideo_slot_at(h, seq);

	/* 1. Mark the slot busy. The release fence keeps every store below from
	 *    becoming visible before the odd commit (a release *store* would not). */
	atomic_store_explicit(&s->commit, seq << 1 | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);

	/* 2. Metadata and payload: plain stores. */
	s->pts = pts;
	s->dts = dts;
	s->payload_len = len;
	s->flags = flags;
	s->width = h->width;
	s->height = h->height;
	memcpy((char *)s + h->slot_header_size, data, len);
	s->capture_mono_ns = capture_ns ? capture_ns : shmvideo_clock_ns(CLOCK_MONOTONIC); /* publish time */

	/* 3. Complete: release orders the payload before the even commit. */
	atomic_store_explicit(&s->commit, seq << 1, memory_order_release);

	/* 4. Publish: key index first, then write_seq (release), heartbeat. */
	if (flags & SHMVIDEO_SLOT_KEY)
		atomic_store_explicit(&h->last_key_seq, seq, memory_order_release);
	atomic_store_explicit(&h->write_seq, seq, memory_order_release);
	atomic_store_explicit(&h->heartbeat_mono_ns, shmvideo_clock_ns(CLOCK_MONOTONIC), memory_order_relaxed);
	w->seq = seq;

	/* 5. Wake: bump the futex word, then wake only if a reader may sleep.
	 *    Both seq_cst: pairs with the reader's waiters++ then notify load. */
	atomic_fetch_add_explicit(&h->notify, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&h->waiters, memory_order_seq_cst) != 0)
		shmvideo_wake(h);
	return 0;
}

/* shmvideo_keyframe_requested reports (and consumes) readers' requests. */
static inline bool shmvideo_keyframe_requested(struct shmvideo_writer *w)
{
	uint64_t v = atomic_load_explicit(&w->hdr->keyframe_req, memory_order_relaxed);
	if (v == w->kf_seen)
		return false;
	w->kf_seen = v;
	return true;
}

/*
 * shmvideo_create builds the segment dir/name: temporary file, OFD write lock
 * on byte 0 held for life, header with magic last, rename into place. It
 * refuses a name whose segment has a live writer (-EBUSY) and a name taken
 * by a file that is not a segment (-EEXIST). mode is 0600 or
 * 0660. Returns 0 or -errno. Names: 1-63 of [A-Za-z0-9._-], not starting '.'.
 */
static inline int shmvideo_create(struct shmvideo_writer *w, const char *dir, const char *name,
                                  uint32_t slots, uint32_t max_payload, uint32_t width,
                                  uint32_t height, uint32_t fps_num, uint32_t fps_den, mode_t mode)
{
	size_t nl = strlen(name);
	if (nl == 0 || nl > 63 || name[0] == '.' || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != nl)
		return -EINVAL;
	if (slots < 2 || slots > SHMVIDEO_MAX_SLOTS || (slots & (slots - 1)) || max_payload == 0 ||
	    max_payload > SHMVIDEO_MAX_PAYLOAD)
		return -EINVAL;
	memset(w, 0, sizeof *w);
	snprintf(w->path, sizeof w->path, "%s/%s", dir, name);
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	int old = open(w->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (old >= 0) { /* an existing file: a live writer's, or not a segment at all? */
		struct flock q = lk;
		char magic[8] = {0};
		int r = fcntl(old, F_OFD_GETLK, &q);
		ssize_t n = pread(old, magic, sizeof magic, 0);
		close(old);
		if (r == 0 && q.l_type != F_UNLCK)
			return -EBUSY;
		if (n != (ssize_t)sizeof magic || memcmp(magic, SHMVIDEO_MAGIC, 8) != 0)
			return -EEXIST;
	}
	uint64_t id = 0;
	while (id == 0)
		if (getrandom(&id, sizeof id, 0) != sizeof id)
			return -errno;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%d.%llx", dir, name, (int)getpid(), (unsigned long long)id);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	uint32_t stride = (SHMVIDEO_SLOT_HEADER_SIZE + max_payload + SHMVIDEO_PAGE - 1) / SHMVIDEO_PAGE * SHMVIDEO_PAGE;
	uint64_t size = SHMVIDEO_HEADER_SIZE + (uint64_t)slots * stride;
	void *m = MAP_FAILED;
	if (fchmod(fd, mode) < 0 || ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_OFD_SETLK, &lk) < 0 ||
	    (m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int e = errno;
		unlink(tmp);
		close(fd);
		return -e;
	}
	struct shmvideo_header *h = m;
	h->version_major = SHMVIDEO_VERSION_MAJOR;
	h->version_minor = SHMVIDEO_VERSION_MINOR;
	h->header_size = SHMVIDEO_HEADER_SIZE;
	h->slot_count = slots;
	h->slot_header_size = SHMVIDEO_SLOT_HEADER_SIZE;
	h->slot_stride = stride;
	h->max_payload = max_payload;
	h->segment_size = size;
	h->segment_id = id;
	memcpy(h->codec, "H264", 4);
	h->stream_flags = SHMVIDEO_STREAM_ANNEXB;
	h->width = width;
	h->height = height;
	h->fps_num = fps_num;
	h->fps_den = fps_den;
	h->writer_pid = (uint32_t)getpid();
	h->created_unix_ns = shmvideo_clock_ns(CLOCK_REALTIME);
	memcpy(h->name, name, nl);
	uint8_t id_block[SHMVIDEO_CRC_LEN];
	memcpy(id_block, h, sizeof id_block);
	memcpy(id_block, SHMVIDEO_MAGIC, 8); /* the CRC covers the magic too */
	h->header_crc = shmvideo_crc32(id_block, sizeof id_block);
	atomic_store_explicit(&h->state, SHMVIDEO_STATE_LIVE, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(h->magic, SHMVIDEO_MAGIC, 8);
	if (rename(tmp, w->path) < 0) {
		int e = errno;
		munmap(m, size);
		unlink(tmp);
		close(fd);
		return -e;
	}
	w->fd = fd;
	w->hdr = h;
	return 0;
}

/*
 * shmvideo_close marks the stream closed, wakes readers, removes the file
 * if the path still names this segment, then releases the lock.
 */
static inline void shmvideo_close(struct shmvideo_writer *w)
{
	struct shmvideo_header *h = w->hdr;
	if (!h)
		return;
	atomic_store_explicit(&h->state, SHMVIDEO_STATE_CLOSED, memory_order_release);
	atomic_fetch_add_explicit(&h->notify, 1, memory_order_seq_cst);
	shmvideo_wake(h);
	struct stat a, b;
	if (stat(w->path, &a) == 0 && fstat(w->fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		unlink(w->path);
	munmap(h, h->segment_size);
	close(w->fd); /* releases the OFD lock */
	w->hdr = NULL;
}

#endif /* SHMVIDEO_H */
