/*
 * cfg_tls.c - the rules of TLS interception (c->tls, cfg_tls-t.h):
 * ssl_bump (what to do with an intercepted TLS connection at each step:
 * peek, stare, splice or terminate), on_unsupported_protocol (what to do
 * with a connection whose first bytes are not the expected protocol) and
 * tls_outgoing_options cafile= (the trust store server certificates are
 * checked against for ssl_error acls). Applied by src/proxy/cli_tls.c;
 * the ports themselves (https_port) are cfg_ports.c's.
 *
 * tproxyd reads the handshakes without decrypting anything, so the
 * ssl_bump actions that decrypt (bump, and Squid 3's client-first and
 * server-first) are refused at load: a rule that asks to decrypt must
 * never be turned into a splice without the operator knowing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* ssl_bump actions; why is set for those tproxyd refuses. */
static const struct {
	const char       *name;
	enum sslb_action  action;
	const char       *why;
} sslb_actions[] = {
	{ "splice",		SSLB_SPLICE,		NULL },
	{ "none",		SSLB_SPLICE,		NULL },	/* = splice */
	{ "peek",		SSLB_PEEK,		NULL },
	{ "stare",		SSLB_STARE,		NULL },
	{ "terminate",		SSLB_TERMINATE,		NULL },
	{ "bump",		SSLB_BUMP,
	  "decrypting TLS (bumping)" },
	{ "client-first",	SSLB_CLIENT_FIRST,
	  "decrypting TLS (bumping, in Squid 3.2's client-first mode)" },
	{ "server-first",	SSLB_SERVER_FIRST,
	  "decrypting TLS (bumping, in Squid 3.3's server-first mode)" },
};

/* Squid 3.2's ssl_bump allow|deny and the newer actions cannot be mixed
 * (Squid: fatal). */
enum { STYLE_NONE, STYLE_ACTIONS, STYLE_ALLOW_DENY };

/*
 * Append one rule with action (access_rule.allow) and the acls
 * t[first..n) to list. No acl is allowed: Squid takes "ssl_bump splice"
 * alone as a rule that always matches. A rule naming an undefined acl is
 * dropped (the load fails anyway) so that it cannot match more than was
 * written.
 */
static void
action_rule(struct cfg_parse *p, const struct tok *t, size_t n, size_t first,
	    struct access_list *list, int action)
{
	struct access_rule *r;
	struct acl_ref ref;
	size_t i;
	int bad = 0;

	r = AR_PUSH(p->ar, list->rule, list->n);
	r->allow = action;
	r->file = t[0].file;
	r->line = t[0].line;
	for (i = first; i < n; i++) {
		if (cfg_acl_ref(p, t[0].s, &t[i], &ref) < 0) {
			bad = 1;
			continue;
		}
		*AR_PUSH(p->ar, r->ref, r->nref) = ref;
	}
	if (bad)
		list->n--;
	cfg_acl_warn_reply(p, t, n, t[0].s);
}

/*
 * ssl_bump ACTION [!]acl...: all rules are evaluated at each step; the
 * first that matches and whose action is possible at that step wins
 * (acl_first()); none: splice. Squid 3.2's "allow" meant client-first
 * (refused like bump) and "deny" none, read as Squid reads it.
 */
static void
set_ssl_bump(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const char *a;
	size_t i;
	int style, action;

	if (n < 2) {
		cfg_err(p, &t[0], "ssl_bump: missing action (splice, peek, "
			"stare or terminate)");
		return;
	}
	a = t[1].s;
	style = strcmp(a, "allow") == 0 || strcmp(a, "deny") == 0 ?
	    STYLE_ALLOW_DENY : STYLE_ACTIONS;
	if (p->tls.style != STYLE_NONE && p->tls.style != style) {
		cfg_err(p, &t[1], "ssl_bump: do not mix the actions (splice, "
			"peek, ...) with Squid 3.2's allow and deny: update "
			"your ssl_bump rules (Squid refuses this too)");
		return;
	}
	p->tls.style = style;
	if (strcmp(a, "allow") == 0) {
		cfg_err(p, &t[1], "ssl_bump allow: Squid reads it as "
			"'ssl_bump client-first', decrypting TLS (bumping), "
			"which is not supported by tproxyd yet; use peek, "
			"splice or terminate");
		return;
	}
	if (strcmp(a, "deny") == 0) {
		cfg_warn(p, &t[1], "ssl_bump deny: read as 'ssl_bump none' "
			 "(splice), as Squid does; update your ssl_bump "
			 "rules");
		action_rule(p, t, n, 2, &p->c->tls.ssl_bump, SSLB_SPLICE);
		return;
	}
	for (i = 0; i < CFG_NELEM(sslb_actions); i++)
		if (strcmp(sslb_actions[i].name, a) == 0)
			break;
	if (i == CFG_NELEM(sslb_actions)) {
		cfg_err(p, &t[1], "ssl_bump: unknown action '%s' (splice, "
			"peek, stare, terminate, bump, client-first, "
			"server-first or none)%s", a,
			strcmp(a, "peek-and-splice") == 0 ? "; for "
			"peek-and-splice write 'ssl_bump peek' and 'ssl_bump "
			"splice' rules" : "");
		return;
	}
	if (sslb_actions[i].why != NULL) {
		cfg_err(p, &t[1], "ssl_bump %s: %s is not supported by "
			"tproxyd yet; use peek, splice or terminate", a,
			sslb_actions[i].why);
		return;
	}
	action = (int)sslb_actions[i].action;
	action_rule(p, t, n, 2, &p->c->tls.ssl_bump, action);
}

/* on_unsupported_protocol tunnel|respond [!]acl...: the first matching
 * rule; none: respond. */
static void
set_on_unsupported(struct cfg_parse *p, const struct tok *t, size_t n)
{
	int action;

	if (n < 2) {
		cfg_err(p, &t[0], "on_unsupported_protocol: missing action "
			"(tunnel or respond)");
		return;
	}
	if (strcmp(t[1].s, "tunnel") == 0)
		action = UNSUP_TUNNEL;
	else if (strcmp(t[1].s, "respond") == 0)
		action = UNSUP_RESPOND;
	else {
		cfg_err(p, &t[1], "on_unsupported_protocol: unknown action "
			"'%s' (tunnel or respond)", t[1].s);
		return;
	}
	action_rule(p, t, n, 2, &p->c->tls.on_unsupported, action);
}

/*
 * tls_outgoing_options OPTION...: only cafile= means something to
 * tproxyd, which opens no TLS connection of its own: the file of CA
 * certificates the servers' certificates are checked against, for
 * ssl_error acls (the system's trust store without it). The other options
 * get one warning per line.
 */
static void
set_tls_outgoing(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const struct tok *first = NULL;
	char other[256] = "";
	size_t i, len, k;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		if (strncmp(t[i].s, "cafile=", 7) == 0 && t[i].s[7] != '\0') {
			if (access(t[i].s + 7, R_OK) != 0) {
				cfg_err(p, &t[i], "tls_outgoing_options: "
					"cannot read cafile %s: %s",
					t[i].s + 7, strerror(errno));
				continue;
			}
			if (p->c->tls.cafile == NULL)
				p->c->tls.cafile = ar_strdup(p->ar,
							     t[i].s + 7);
			else
				cfg_warn(p, &t[i], "tls_outgoing_options: "
					 "tproxyd uses one cafile= (%s); '%s' "
					 "is ignored (put all the CA "
					 "certificates in one file)",
					 p->c->tls.cafile, t[i].s + 7);
			continue;
		}
		if (first == NULL)
			first = &t[i];
		len = strlen(other);
		k = strcspn(t[i].s, "=");
		if (len + k + 4 < sizeof(other))
			snprintf(other + len, sizeof(other) - len, "%s%.*s%s",
				 len > 0 ? ", " : "", (int)k, t[i].s,
				 t[i].s[k] == '=' ? "=" : "");
	}
	if (first != NULL)
		cfg_warn(p, first, "tls_outgoing_options: %s: not implemented "
			 "by tproxyd; ignored (tproxyd opens no TLS connection "
			 "of its own; servers' certificates are checked, for "
			 "ssl_error acls, against cafile= or the system's "
			 "trust store)", other);
}

/* A token standing for FILE:LINE, for messages of the finish hook. */
static struct tok
where(const char *file, int line)
{
	struct tok w;

	memset(&w, 0, sizeof(w));
	w.s = "";
	w.file = file;
	w.line = line;
	return w;
}

/*
 * Checks that need the whole file. ssl_bump rules apply to the
 * connections of https_port ... ssl-bump ports: without one they are
 * never used (a warning, as Squid's rules without a bumping port are
 * harmless). tproxyd does not peek into the CONNECT tunnels of an
 * http_port with ssl-bump yet: there a terminate rule would be silently
 * skipped, so that combination is refused.
 */
static void
tls_finish(struct cfg_parse *p)
{
	const struct cfg_tls *tls = &p->c->tls;
	const struct access_rule *term = NULL;
	struct tok w;
	size_t i, nbump = 0, nintercept = 0;

	for (i = 0; i < p->c->nport; i++) {
		nbump += p->c->port[i].ssl_bump;
		nintercept += p->c->port[i].mode == PORT_TPROXY ||
		    p->c->port[i].mode == PORT_INTERCEPT;
	}
	for (i = 0; i < tls->ssl_bump.n && term == NULL; i++)
		if (tls->ssl_bump.rule[i].allow == SSLB_TERMINATE)
			term = &tls->ssl_bump.rule[i];
	if (term != NULL && p->tls.bump_line != 0) {
		w = where(p->tls.bump_file, p->tls.bump_line);
		cfg_err(p, &w, "http_port: 'ssl-bump' with 'ssl_bump "
			"terminate' rules (%s:%d) is not supported by tproxyd "
			"yet: CONNECT tunnels on this port are relayed without "
			"the ssl_bump rules, so they would not be terminated "
			"as written; remove ssl-bump here (https_port ... "
			"tproxy ssl-bump intercepts HTTPS)", term->file,
			term->line);
	}
	if (tls->ssl_bump.n > 0 && nbump == 0) {
		w = where(tls->ssl_bump.rule[0].file,
			  tls->ssl_bump.rule[0].line);
		if (p->tls.bump_line != 0)
			cfg_warn(p, &w, "ssl_bump: these rules are never "
				 "used: no https_port has ssl-bump, and "
				 "tproxyd does not apply them to the CONNECT "
				 "requests of an http_port with ssl-bump yet");
		else
			cfg_warn(p, &w, "ssl_bump: these rules are never "
				 "used: no https_port or http_port has the "
				 "ssl-bump option");
	}
	if (tls->on_unsupported.n > 0 && nintercept == 0) {
		w = where(tls->on_unsupported.rule[0].file,
			  tls->on_unsupported.rule[0].line);
		cfg_warn(p, &w, "on_unsupported_protocol: these rules are "
			 "never used: they apply to intercepted connections "
			 "and no port intercepts (tproxy or intercept)");
	}
}

/*
 * sslproxy_cert_error allow|deny [!]acl...: when the server's certificate
 * was read (ssl_bump peek at step 2, TLS 1.2 and older) and has errors,
 * the connection goes on only if these rules allow it (default: deny, the
 * connection is terminated, as Squid closes a peeked connection whose
 * certificate fails its checks).
 */
static void
set_cert_error(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->tls.cert_error);
	cfg_acl_warn_reply(p, t, n, t[0].s);
}

static const struct cfg_dir dirs[] = {
	{ "ssl_bump",			set_ssl_bump },
	{ "sslproxy_cert_error",	set_cert_error },
	{ "on_unsupported_protocol",	set_on_unsupported },
	{ "tls_outgoing_options",	set_tls_outgoing },
};

const struct cfg_dirtab cfg_dirs_tls = {
	.module		= "tls",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.finish		= tls_finish,
};
