/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft.h - the nftables backend: running nft, and what it can tell.
 * (The pure ruleset builder, nft_ruleset(), is declared in plan.h.)
 */
#ifndef TPROXYCTL_NFT_H
#define TPROXYCTL_NFT_H

#include "util.h"

/* Apply script with `nft -f -` as one transaction. Returns 0 or -1 with
 * nft's message (made clearer for the usual causes) in err. */
int nft_apply(const char *script, struct sbuf *err);
/* Run `nft CMD` (one argument, e.g. "delete table inet tproxyd"). */
int nft_cmd(const char *cmd, struct sbuf *out, struct sbuf *err);
/* 1 if `table FAMILY NAME` exists, 0 if not, -1 if nft cannot be run. */
int nft_table_exists(const char *family, const char *name);
/* Check (nft -c, nothing applied) that the kernel has the tproxy and
 * socket expressions (and, with reject, the reject statement); 0 or -1
 * with the reason in err. */
int nft_probe(int reject, struct sbuf *err);

#endif
