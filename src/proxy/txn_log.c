/*
 * txn_log.c - a stream's access.log record and its request counters,
 * written once when the stream ends (delivered, answered here, cut).
 */
#include <string.h>

#include "config/config.h"
#include "event/loop.h"
#include "log/access_log.h"
#include "proxy/stream.h"
#include "stats/stats.h"

void
strm_log(struct stream *s)
{
	struct alog_rec r;
	const struct sockaddr *peer = NULL;

	if (s->logged || s->start == 0)
		return;
	s->logged = 1;
	evl_now_update();
	memset(&r, 0, sizeof(r));
	r.end = evl_now();
	r.elapsed_ms = (long)((r.end - s->start) * 1000.0 + 0.5);
	r.client = (const struct sockaddr *)&s->sess->addr;
	if (s->has_indirect && s->sess->cfg->rules.log_indirect)
		r.client = (const struct sockaddr *)&s->indirect;
	r.code = s->code ? s->code : "TCP_MISS";
	r.status = s->status;
	r.aborted = s->aborted;
	/* Scrapes of the stats_port are not traffic: they would make every
	 * scrape see a different count. */
	if (!s->sess->stats_port) {
		stats_status(s->aborted ? 0 : s->status);
		if (s->aborted)
			stats.aborted++;
	}
	r.bytes = s->bytes_out;
	r.method = str_make(s->method, strlen(s->method));
	r.url = str_make(s->url ? s->url : "", s->url ? s->url_len : 0);
	if (s->hier == NULL)
		s->hier = "HIER_NONE";
	r.hier = s->hier;
	if (s->naddr > 0 && s->addr_idx < s->naddr &&
	    strcmp(s->hier, "HIER_NONE") != 0)
		peer = (const struct sockaddr *)&s->addr[s->addr_idx];
	r.peer = peer;
	if (s->peer != NULL && peer != NULL)
		r.peer_name = s->peer->host;
	r.type = str_make(s->ctype, strlen(s->ctype));
	alog_write(&r);
}
