/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_batch.c - a flow's client datagrams read in one batch, sent
 * together: one sendmmsg(), and datagrams of the same size one after the
 * other as one GSO send (UDP_SEGMENT: one trip through the kernel's output
 * path, cut into the same datagrams on the way; udp_gso_join() says
 * which), one by one where the path refuses GSO.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/sa.h"
#include "event/loop.h"
#include "net/sock_inet.h"
#include "stats/stats.h"
#include "udp/udp.h"
#include "udp/udp-int.h"

/* Make m[i] a GSO send of seg-byte datagrams (seg 0: one datagram). */
void
udp_gso_ctl(struct mmsghdr *m, union ctlbuf *ctl, size_t seg)
{
	struct cmsghdr *c;
	uint16_t v = (uint16_t)seg;

	if (seg == 0) {
		m->msg_hdr.msg_control = NULL;
		m->msg_hdr.msg_controllen = 0;
		return;
	}
	memset(ctl, 0, sizeof(*ctl));
	m->msg_hdr.msg_control = ctl->buf;
	m->msg_hdr.msg_controllen = CMSG_SPACE(sizeof(v));
	c = CMSG_FIRSTHDR(&m->msg_hdr);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
}

/* Whether a GSO send failed because the path cannot take it (no checksum
 * offload, a segment over the MTU, more segments than this kernel sends
 * at once): then the datagrams go one by one. */
int
udp_gso_refused(int err)
{
	return err == EIO || err == EINVAL || err == EMSGSIZE ||
	       err == EOPNOTSUPP;
}

/* The size of the datagrams of m as read with UDP_GRO: 0 for one
 * datagram, else the segment size. */
size_t
udp_seg_of(struct mmsghdr *m)
{
	size_t seg = udp_gro_size(&m->msg_hdr);

	return seg >= m->msg_len ? 0 : seg;
}

/* Send d cut every seg bytes (seg 0: one datagram) one datagram at a
 * time (a path that refused the GSO send). 0, or -1 when the flow
 * ended. */
static int
seg_send(struct udp_flow *f, const uint8_t *d, size_t n, size_t seg)
{
	size_t off = 0, piece;

	do {
		piece = seg == 0 || n - off < seg ? n - off : seg;
		if (udp_flow_send(f, d + off, piece) < 0)
			return -1;
		off += piece;
	} while (off < n);
	return 0;
}

/* Entry i of r one datagram at a time. 0, or -1 when the flow ended. */
static int
ent_split(struct run *r, unsigned i)
{
	const struct run_ent *e = &r->e[i];
	unsigned k;

	for (k = e->first; k < e->first + e->niov; k++)
		if (seg_send(r->f, r->iov[k].iov_base, r->iov[k].iov_len,
			     e->seg) < 0)
			return -1;
	return 0;
}

/* Send r's datagrams (the flow may end: ICMP error). */
void
udp_run_flush(struct run *r)
{
	struct udp_flow *f = r->f;
	unsigned i;
	int sent, err;

	for (i = 0; i < r->n; i++) {
		memset(&r->m[i], 0, sizeof(r->m[i]));
		r->m[i].msg_hdr.msg_iov = &r->iov[r->e[i].first];
		r->m[i].msg_hdr.msg_iovlen = r->e[i].niov;
		udp_gso_ctl(&r->m[i], &r->ctl[i],
			r->e[i].count > 1 ? r->e[i].seg : 0);
	}
	for (i = 0; i < r->n; ) {
		sent = sendmmsg(f->fd, r->m + i, r->n - i, 0);
		if (sent > 0) {
			i += (unsigned)sent;
			continue;
		}
		err = errno;
		if (err == ECONNREFUSED) {
			stats.udp_icmp_errors++;
			f->code = "UDP_REFUSED";
			udp_flow_end(f, "ICMP port unreachable from the "
				 "destination");
			break;
		}
		if (r->e[i].count > 1 && udp_gso_refused(err)) {
			if (ent_split(r, i) < 0)
				break;		/* ended, freed */
		} else {
			/* EAGAIN, ENOBUFS: UDP may drop */
			stats.udp_drop_send += r->e[i].count;
		}
		i++;
	}
	r->f = NULL;
	r->n = 0;
	r->niov = 0;
}

/* Add d (seg: its datagrams' size when it is several, read with GRO) to
 * r when it is one more datagram of r's flow (or r is empty and f
 * relays): 1, else 0 (the caller flushes r and handles d itself). */
int
udp_run_add(struct run *r, struct udp_flow *f, uint8_t *d, size_t n, size_t seg)
{
	size_t c = udp_seg_count(n, seg);
	struct run_ent *e;

	if (f->state != UF_RELAY || (r->f != NULL && r->f != f))
		return 0;
	if (f->proto == UDP_P_DNS) {
		if (seg != 0)
			f->dns_off = 1;	/* several in one: not followed */
		else
			udp_dns_query_out(f, d, n);
	}
	r->f = f;
	f->last = evl_now();
	f->dgrams_in += c;
	f->bytes_in += n;
	stats.udp_dgrams_in += c;
	stats.udp_bytes_in += n;
	r->iov[r->niov].iov_base = d;
	r->iov[r->niov].iov_len = n;
	e = r->n > 0 ? &r->e[r->n - 1] : NULL;
	if (seg == 0 && e != NULL &&
	    udp_gso_join(e->seg, e->count, e->total, e->closed, n)) {
		e->niov++;
		e->count++;
		e->total += n;
		e->closed = n < e->seg;
	} else {
		e = &r->e[r->n++];
		e->first = r->niov;
		e->niov = 1;
		e->seg = seg != 0 ? seg : n;
		e->count = c;
		e->total = n;
		e->closed = seg != 0;
	}
	r->niov++;
	return 1;
}
