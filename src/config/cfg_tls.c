/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_tls.c - the rules of TLS interception (c->tls, cfg_tls-t.h):
 * ssl_bump (what to do with an intercepted TLS connection at each step:
 * peek, stare, splice or terminate), on_unsupported_protocol (what to do
 * with a connection whose first bytes are not the expected protocol) and
 * tls_outgoing_options cafile= (the trust store server certificates are
 * checked against for ssl_error acls). Applied by src/proxy/cli_tls.c;
 * the ports themselves (https_port) are cfg_ports.c's.
 *
 * The actions that decrypt (bump, stare, and Squid 3's client-first and
 * server-first) need the port's CA (bump_setup()).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg-int.h"
#include "config/config.h"
#include "net/xprt_tls.h"	/* struct tls_ctx_opts only */

/* ssl_bump actions. */
static const struct {
	const char       *name;
	enum sslb_action  action;
} sslb_actions[] = {
	{ "splice",		SSLB_SPLICE },
	{ "none",		SSLB_SPLICE },	/* = splice */
	{ "peek",		SSLB_PEEK },
	{ "stare",		SSLB_STARE },
	{ "terminate",		SSLB_TERMINATE },
	{ "bump",		SSLB_BUMP },
	{ "client-first",	SSLB_CLIENT_FIRST },	/* Squid 3.2 */
	{ "server-first",	SSLB_SERVER_FIRST },	/* Squid 3.3 */
};

static const char *
sslb_name(int action)
{
	size_t i;

	for (i = 0; i < CFG_NELEM(sslb_actions); i++)
		if ((int)sslb_actions[i].action == action)
			return sslb_actions[i].name;
	return "?";
}

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
 * and "deny" none, read as Squid reads them.
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
		cfg_warn(p, &t[1], "ssl_bump allow: read as 'ssl_bump "
			 "client-first' (Squid 3.2's way of decrypting), as "
			 "Squid does; update your ssl_bump rules");
		action_rule(p, t, n, 2, &p->c->tls.ssl_bump,
			    SSLB_CLIENT_FIRST);
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
 * tls_outgoing_options OPTION...: how tproxyd connects to the servers of
 * bumped connections, and (cafile=, capath=) the trust store server
 * certificates are checked against, for ssl_error acls of peeked
 * connections too (the system's without them). min-version=1.N
 * (default 1.2), options= (NO_TLSv1, ...), cipher=, flags=
 * DONT_VERIFY_PEER. Others get one warning per line.
 */
static void
set_tls_outgoing(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_tls *tls = &p->c->tls;
	const struct tok *first = NULL;
	char other[256] = "";
	const char *v;
	size_t i, len, k;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		v = strchr(t[i].s, '=');
		v = v ? v + 1 : "";
		if ((strncmp(t[i].s, "cafile=", 7) == 0 ||
		     strncmp(t[i].s, "capath=", 7) == 0) && *v != '\0') {
			if (access(v, R_OK) != 0) {
				cfg_err(p, &t[i], "tls_outgoing_options: "
					"cannot read %.6s %s: %s", t[i].s, v,
					strerror(errno));
				continue;
			}
			if (t[i].s[2] == 'p') {
				tls->capath = ar_strdup(p->ar, v);
			} else if (tls->cafile == NULL) {
				tls->cafile = ar_strdup(p->ar, v);
			} else {
				cfg_warn(p, &t[i], "tls_outgoing_options: "
					 "tproxyd uses one cafile= (%s); '%s' "
					 "is ignored (put all the CA "
					 "certificates in one file)",
					 tls->cafile, v);
			}
			continue;
		}
		if (strncmp(t[i].s, "options=", 8) == 0) {
			tls->out_options = ar_strdup(p->ar, v);
			continue;
		}
		if (strncmp(t[i].s, "cipher=", 7) == 0) {
			tls->out_ciphers = ar_strdup(p->ar, v);
			continue;
		}
		if (strncmp(t[i].s, "min-version=", 12) == 0) {
			if (strcmp(v, "1.0") != 0 && strcmp(v, "1.1") != 0 &&
			    strcmp(v, "1.2") != 0 && strcmp(v, "1.3") != 0) {
				cfg_err(p, &t[i], "tls_outgoing_options: "
					"min-version=%s: expected 1.0, 1.1, "
					"1.2 or 1.3", v);
				continue;
			}
			tls->out_min = 0x0300 + (v[2] - '0') + 1;
			continue;
		}
		if (strcmp(t[i].s, "flags=DONT_VERIFY_PEER") == 0) {
			tls->dont_verify = 1;
			cfg_warn(p, &t[i], "tls_outgoing_options: "
				 "flags=DONT_VERIFY_PEER: the certificates of "
				 "the servers of bumped connections are not "
				 "checked: anyone between tproxyd and a server "
				 "can read and change that traffic");
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
			 "by tproxyd; ignored", other);
}

/*
 * sslcrtd_program PROGRAM [-s DIR] [-M SIZE] ...: tproxyd makes the
 * certificates of bumped connections itself and does not run the
 * program; with -s, they are kept in DIR/tproxyd (tproxyd's own format,
 * beside Squid's database), at most SIZE (-M), across restarts.
 */
static void
set_sslcrtd_program(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_tls *tls = &p->c->tls;
	char dir[4096];
	size_t i, sz;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 2; i + 1 < n; i++) {
		if (strcmp(t[i].s, "-s") == 0) {
			snprintf(dir, sizeof(dir), "%s/tproxyd", t[i + 1].s);
			tls->cert_dir = ar_strdup(p->ar, dir);
		} else if (strcmp(t[i].s, "-M") == 0) {
			if (cfg_parse_size_word(t[i + 1].s, &sz) < 0) {
				cfg_err(p, &t[i + 1], "sslcrtd_program: -M %s:"
					" expected a size such as 4MB",
					t[i + 1].s);
				return;
			}
			tls->cert_dir_bytes = sz;
		}
	}
	cfg_warn(p, &t[1], "sslcrtd_program: tproxyd makes the certificates "
		 "itself and does not run %s%s%s", t[1].s,
		 tls->cert_dir ? "; they are kept in " : "",
		 tls->cert_dir ? tls->cert_dir : "");
}

static void
release_fd(void *a)
{
	close((int)(intptr_t)a);
}

/*
 * tls_key_log [stdio:]FILE [if [!]acl...]: the TLS secrets of bumped
 * connections (both sides) in the NSS key log format, so that a capture
 * of them can be decrypted (Wireshark's "(Pre)-Master-Secret log").
 * The file is made mode 0600 and opened as root when the configuration
 * is loaded; one line per secret, appended.
 */
static void
set_tls_key_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_tls *tls = &p->c->tls;
	const char *f;
	size_t first = 2;
	int fd;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (tls->keylog_fd >= 0) {
		cfg_err(p, &t[0], "tls_key_log: only one is supported");
		return;
	}
	f = strncmp(t[1].s, "stdio:", 6) == 0 ? t[1].s + 6 : t[1].s;
	if (strcmp(f, "none") == 0)
		return;
	if (f[0] != '/') {
		cfg_err(p, &t[1], "tls_key_log: '%s': expected a file (an "
			"absolute path, or stdio:PATH)", t[1].s);
		return;
	}
	if (n > 2 && strcmp(t[2].s, "if") != 0) {
		cfg_err(p, &t[2], "tls_key_log: '%s': options are not "
			"supported; write: tls_key_log FILE [if ACL...]",
			t[2].s);
		return;
	}
	fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		cfg_err(p, &t[1], "tls_key_log: cannot open %s: %s", f,
			strerror(errno));
		return;
	}
	ar_release(p->ar, release_fd, (void *)(intptr_t)fd);
	tls->keylog_fd = fd;
	if (n > 3)
		action_rule(p, t, n, first + 1, &tls->keylog, 1);
}

/* sslcrtd_children: no program runs, so no children either. */
static void
set_sslcrtd_children(struct cfg_parse *p, const struct tok *t, size_t n)
{
	(void)n;
	cfg_warn(p, &t[0], "sslcrtd_children: tproxyd makes the certificates "
		 "itself, without helper processes; ignored");
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

const struct cfg_tls_ops *cfg_tls_ops;

static void
release_ca(void *a)
{
	cfg_tls_ops->ca_free(a);
}

static void
release_certs(void *a)
{
	cfg_tls_ops->cache_free(a);
}

static void
release_ctx(void *a)
{
	cfg_tls_ops->ctx_free(a);
}

/* The directories above the certificate directory (sslcrtd_program's -s
 * DIR, which Squid has its program initialize), made when missing. */
static void
cert_dir_parents(const char *dir)
{
	char path[4096], *q;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return;
	for (q = path + 1; (q = strchr(q, '/')) != NULL; q++) {
		*q = '\0';
		(void)mkdir(path, 0755);
		*q = '/';
	}
}

/* The certificate directory is made here, as root; the proxy writes to
 * it after dropping its privileges: it is given to that user. */
static void
cert_dir_owner(struct cfg_parse *p, const struct tok *w)
{
	const char *user = p->c->cache_effective_user;
	struct passwd *pw;

	if (p->c->tls.cert_dir == NULL || geteuid() != 0)
		return;
	pw = getpwnam(user ? user : "proxy");
	if (pw == NULL && user == NULL)
		pw = getpwnam("nobody");
	if (pw != NULL && chown(p->c->tls.cert_dir, pw->pw_uid, pw->pw_gid)
	    < 0)
		cfg_warn(p, w, "sslcrtd_program: cannot "
			 "give %s to %s: %s", p->c->tls.cert_dir, pw->pw_name,
			 strerror(errno));
}

/*
 * When some ssl_bump rule bumps: each bumping port's signing CA (cert=,
 * key=), its cache of generated certificates and its TLS context, and the
 * context of the connections to servers (tls_outgoing_options). Loaded
 * here, before tproxyd drops its privileges, so that the CA key can be
 * readable by root only.
 */
static void
bump_setup(struct cfg_parse *p)
{
	struct cfg_tls *tls = &p->c->tls;
	struct tls_ctx_opts o;
	struct cfg_port *q;
	const char *dname, *what = "bump";
	char err[512];
	struct tok w;
	size_t i;

	for (i = 0; i < tls->ssl_bump.n && !tls->bumps; i++)
		if (tls->ssl_bump.rule[i].allow >= SSLB_BUMP ||
		    tls->ssl_bump.rule[i].allow == SSLB_STARE) {
			/* a stare bumps at step 3 */
			tls->bumps = 1;
			what = sslb_name(tls->ssl_bump.rule[i].allow);
		}
	if (!tls->bumps)
		return;
	for (i = 0; i < p->c->nport; i++) {
		q = &p->c->port[i];
		if (!q->ssl_bump)
			continue;
		dname = q->https ? "https_port" : "http_port";
		w = where(q->file, q->line);
		if (q->cert == NULL) {
			cfg_err(p, &w, "%s: ssl_bump %s needs cert=CA.pem on "
				"this port: the CA certificate (with key=, or "
				"its key in the same file) that signs the "
				"certificates tproxyd makes for the sites it "
				"decrypts ('tproxyctl ca create' makes one)",
				dname, what);
			continue;
		}
		if (!q->gen_certs) {
			cfg_err(p, &w, "%s: generate-host-certificates=off: "
				"tproxyd decrypts only with a certificate it "
				"makes for each site; remove the option",
				dname);
			continue;
		}
		if (cfg_tls_ops == NULL)
			continue;	/* checked, not made */
		q->ca = cfg_tls_ops->ca_load(q->cert, q->key == q->cert ?
					     NULL : q->key, err, sizeof(err));
		if (q->ca == NULL) {
			cfg_err(p, &w, "%s: %s", dname, err);
			continue;
		}
		ar_release(p->ar, release_ca, q->ca);
		if (tls->cert_dir != NULL)
			cert_dir_parents(tls->cert_dir);
		q->certs = cfg_tls_ops->cache_new(q->cert_mem, tls->cert_dir,
						  tls->cert_dir_bytes, err,
						  sizeof(err));
		if (q->certs == NULL) {
			cfg_err(p, &w, "%s: the certificate cache: %s", dname,
				err);
			continue;
		}
		ar_release(p->ar, release_certs, q->certs);
		cert_dir_owner(p, &w);
		memset(&o, 0, sizeof(o));
		o.options = q->tls_options;
		o.ciphers = q->tls_ciphers;
		o.min_version = q->tls_min;
		o.ktls = 1;
		q->tls_ctx = cfg_tls_ops->ctx_new(1, &o, err, sizeof(err));
		if (q->tls_ctx == NULL) {
			cfg_err(p, &w, "%s: %s", dname, err);
			continue;
		}
		ar_release(p->ar, release_ctx, q->tls_ctx);
	}
	if (cfg_tls_ops == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.cafile = tls->cafile;
	o.capath = tls->capath;
	o.min_version = tls->out_min;
	o.options = tls->out_options;
	o.ciphers = tls->out_ciphers;
	o.ktls = 1;
	tls->out_ctx = cfg_tls_ops->ctx_new(0, &o, err, sizeof(err));
	if (tls->out_ctx == NULL) {
		w = where(tls->ssl_bump.rule[0].file,
			  tls->ssl_bump.rule[0].line);
		cfg_err(p, &w, "tls_outgoing_options: %s", err);
		return;
	}
	ar_release(p->ar, release_ctx, tls->out_ctx);
}

/*
 * Checks that need the whole file. ssl_bump rules apply to the
 * connections of https_port ... ssl-bump ports and to the CONNECT requests
 * of http_port ... ssl-bump ports: without one they are never used (a
 * warning, as Squid's rules without a bumping port are harmless).
 */
static void
tls_finish(struct cfg_parse *p)
{
	const struct cfg_tls *tls = &p->c->tls;
	struct tok w;
	size_t i, nbump = 0, nintercept = 0;

	for (i = 0; i < p->c->nport; i++) {
		nbump += p->c->port[i].ssl_bump;
		/* on_unsupported_protocol applies to bumped CONNECT
		 * tunnels too. */
		nintercept += p->c->port[i].mode == PORT_TPROXY ||
		    p->c->port[i].mode == PORT_INTERCEPT ||
		    p->c->port[i].ssl_bump;
	}
	if (tls->ssl_bump.n > 0 && nbump == 0) {
		w = where(tls->ssl_bump.rule[0].file,
			  tls->ssl_bump.rule[0].line);
		cfg_warn(p, &w, "ssl_bump: these rules are never used: no "
			 "https_port or http_port has the ssl-bump option");
	}
	bump_setup(p);
	if (tls->on_unsupported.n > 0 && nintercept == 0) {
		w = where(tls->on_unsupported.rule[0].file,
			  tls->on_unsupported.rule[0].line);
		cfg_warn(p, &w, "on_unsupported_protocol: these rules are "
			 "never used: they apply to intercepted connections "
			 "and to CONNECT tunnels of ssl-bump ports, and no "
			 "port intercepts (tproxy or intercept) or has "
			 "ssl-bump");
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
	{ "sslcrtd_program",		set_sslcrtd_program },
	{ "tls_key_log",		set_tls_key_log },
	{ "sslcrtd_children",		set_sslcrtd_children },
	{ "sslproxy_cert_error",	set_cert_error },
	{ "on_unsupported_protocol",	set_on_unsupported },
	{ "tls_outgoing_options",	set_tls_outgoing },
};

/* No key log unless configured. */
static void
tls_defaults(struct cfg_parse *p)
{
	p->c->tls.keylog_fd = -1;
}

const struct cfg_dirtab cfg_dirs_tls = {
	.module		= "tls",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= tls_defaults,
	.finish		= tls_finish,
};
