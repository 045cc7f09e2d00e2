/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tproxyctl - sets up, removes and diagnoses the kernel side of
 * interception (netfilter rules, policy routing, sysctls).
 *
 * This file only reads argv (and the configuration named by -f) into a
 * struct plan_opts; plan.c turns that into steps, apply.c carries them out
 * or reverses them, doctor/ checks the result. Exit status: 0 done,
 * 1 failed (doctor: something FAILed), 2 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

#include "apply.h"
#include "ca.h"
#include "conf.h"
#include "doctor.h"
#include "help.h"
#include "status.h"
#include "plan.h"
#include "repair.h"
#include "router.h"
#include "state.h"
#include "watch.h"

/* The overview, then the synopsis of every subcommand. */
static void
usage(FILE *f)
{
	fprintf(f,
		"usage: tproxyctl setup [-f tproxyd.conf] [--port PORT] "
		"[--ports 80,8080]\n"
		"           [--https-port PORT] [--https-ports 443,...] "
		"[--quic block|pass]\n"
		"           [--udp-port PORT] [--udp-ports 53,443,...]\n"
		"           [--on-failure open|closed]\n"
		"           [--mark 0x1/0x1] [--table 100] [--rule-pref 100] "
		"[--iface IF...]\n"
		"           [--bypass CIDR...]"
		"\n"
		"           [--family ipv4|ipv6|both] "
		"[--backend nft|iptables]\n"
		"           [--bridge CLIENT_IF INET_IF] [--state FILE] "
		"[--dry-run]\n"
		"           [--behind-router PROXY_ADDR [PROXY_ADDR6] "
		"--router-wan IF [--tos TOS]]\n"
		"       tproxyctl teardown [--state FILE]\n"
		"       tproxyctl watch [--state FILE] [--interval MS] "
		"[--overload-after MS]\n"
		"       tproxyctl status [-f tproxyd.conf] [--state FILE] "
		"[--json]\n"
		"       tproxyctl doctor [-f tproxyd.conf] [--json] "
		"[setup options]\n"
		"       tproxyctl ca create [--dir DIR] [--name TEXT] "
		"[--days N] [--rsa]\n"
		"                           [--permit DOMAIN ...] [--force]\n"
		"       tproxyctl ca show [--dir DIR | FILE]\n"
		"       tproxyctl ca export [--dir DIR] [--der]\n"
		"       tproxyctl --help | COMMAND --help\n"
		"       tproxyctl --version\n");
}

struct cli {
	const char *conf;
	const char *state;
	int         dry_run;
	int         json;
	int         family_given;
	int         port_given;		/* --port: HTTP not from -f */
	int         https_port_given;	/* --https-port: HTTPS not from -f */
	int         udp_port_given;	/* --udp-port: UDP not from -f */
	struct router_opts router;	/* --behind-router (setup only) */
};

static int
bad(const char *fmt, const char *arg)
{
	fputs("tproxyctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	usage(stderr);
	return -1;
}

/* An interface name tproxyctl will not pass on (util.h says why). */
static int
bad_ifname(const char *name)
{
	char err[256];

	if (ifname_check(name, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "tproxyctl: %s\n", err);
	return 1;
}

/*
 * IPv6 disabled on this box (disable_ipv6, or no IPv6 in the kernel):
 * without --family, setup and --dry-run cover IPv4 only and say so; with
 * --family ipv6 or both, setup refuses before changing anything.
 */
static void
drop_unusable_ipv6(const struct cli *cli, struct plan_opts *o)
{
	char why[200];

	if (cli->family_given || o->families != PLAN_BOTH ||
	    !ipv6_unusable(why, sizeof(why)))
		return;
	o->families = PLAN_V4;
	fprintf(stderr, "tproxyctl: %s: setting up IPv4 only\n", why);
}

/* The words after a list option, up to the next option. */
static int
words(int argc, char **argv, int *i)
{
	int n = 0;

	while (*i + 1 < argc && argv[*i + 1][0] != '-') {
		(*i)++;
		n++;
	}
	return n;
}

static int
parse(int argc, char **argv, int doctor, struct cli *cli,
      struct plan_opts *o)
{
	int i, first_iface = 1, first_bypass = 1;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--dry-run") && !doctor) {
			cli->dry_run = 1;
		} else if (!strcmp(a, "--json") && doctor) {
			cli->json = 1;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--state") ||
			   !strcmp(a, "--port") || !strcmp(a, "--ports") ||
			   !strcmp(a, "--https-port") ||
			   !strcmp(a, "--https-ports") ||
			   !strcmp(a, "--udp-port") ||
			   !strcmp(a, "--udp-ports") ||
			   !strcmp(a, "--quic") ||
			   !strcmp(a, "--on-failure") ||
			   !strcmp(a, "--mark") || !strcmp(a, "--table") ||
			   !strcmp(a, "--rule-pref") ||
			   !strcmp(a, "--family") || !strcmp(a, "--backend")) {
			if (v == NULL)
				return bad("%s needs a value", a);
			i++;
			if (!strcmp(a, "-f")) {
				cli->conf = v;
			} else if (!strcmp(a, "--state")) {
				cli->state = v;
			} else if (!strcmp(a, "--port") ||
				   !strcmp(a, "--https-port")) {
				int k = a[2] == 'h' ? PLAN_HTTPS : PLAN_HTTP;
				struct plan_map *m = &o->map[k];
				char *end;
				unsigned long p = strtoul(v, &end, 10);

				if (*end || p == 0 || p > 65535)
					return bad("bad port '%s'", v);
				m->to[0].port = m->to[1].port = (unsigned)p;
				m->to[0].addr[0] = m->to[1].addr[0] = '\0';
				if (k == PLAN_HTTPS)
					cli->https_port_given = 1;
				else
					cli->port_given = 1;
			} else if (!strcmp(a, "--ports") ||
				   !strcmp(a, "--https-ports")) {
				struct plan_map *m = &o->map[a[2] == 'h' ?
							     PLAN_HTTPS :
							     PLAN_HTTP];

				if (plan_parse_ports(v, m->dport,
						     PLAN_MAX_PORTS,
						     &m->ndport) < 0)
					return bad("bad port list '%s'", v);
			} else if (!strcmp(a, "--udp-port")) {
				char *end;
				unsigned long p = strtoul(v, &end, 10);

				if (*end || p == 0 || p > 65535)
					return bad("bad port '%s'", v);
				o->udp.to[0].port = o->udp.to[1].port =
					(unsigned)p;
				o->udp.to[0].addr[0] = '\0';
				o->udp.to[1].addr[0] = '\0';
				cli->udp_port_given = 1;
			} else if (!strcmp(a, "--udp-ports")) {
				if (plan_parse_ports(v, o->udp.dport,
						     PLAN_MAX_PORTS,
						     &o->udp.ndport) < 0)
					return bad("bad port list '%s'", v);
			} else if (!strcmp(a, "--quic")) {
				if (!strcmp(v, "block"))
					o->quic = PLAN_QUIC_BLOCK;
				else if (!strcmp(v, "pass"))
					o->quic = PLAN_QUIC_PASS;
				else
					return bad("bad --quic '%s' (block or "
						   "pass)", v);
			} else if (!strcmp(a, "--on-failure")) {
				if (!strcmp(v, "open"))
					o->on_failure = PLAN_FAIL_OPEN;
				else if (!strcmp(v, "closed"))
					o->on_failure = PLAN_FAIL_CLOSED;
				else
					return bad("bad --on-failure '%s' "
						   "(open or closed)", v);
			} else if (!strcmp(a, "--mark")) {
				if (plan_parse_mark(v, &o->mark, &o->mask) < 0)
					return bad("bad mark '%s' (want VALUE "
						   "or VALUE/MASK, value "
						   "inside the mask)", v);
			} else if (!strcmp(a, "--table")) {
				char *end;
				unsigned long t = strtoul(v, &end, 10);

				if (*end || t == 0 || t > 251)
					return bad("bad table '%s' (1..251)",
						   v);
				o->table = (unsigned)t;
			} else if (!strcmp(a, "--rule-pref")) {
				char *end;
				unsigned long t = strtoul(v, &end, 10);

				if (*end || end == v || t < 2 || t > 32765)
					return bad("bad rule preference '%s' "
						   "(2..32765: 0 is `lookup "
						   "local`, 32766 `lookup "
						   "main`, and the one before "
						   "is for `iif lo`)", v);
				o->rule_pref = (unsigned)t;
			} else if (!strcmp(a, "--family")) {
				if (!strcmp(v, "ipv4"))
					o->families = PLAN_V4;
				else if (!strcmp(v, "ipv6"))
					o->families = PLAN_V6;
				else if (!strcmp(v, "both"))
					o->families = PLAN_BOTH;
				else
					return bad("bad family '%s'", v);
				cli->family_given = 1;
				o->family_given = 1;
			} else {
				if (!strcmp(v, "nft") || !strcmp(v, "nftables"))
					o->backend = PLAN_NFT;
				else if (!strcmp(v, "iptables"))
					o->backend = PLAN_IPT;
				else
					return bad("bad backend '%s'", v);
			}
		} else if (!strcmp(a, "--iface")) {
			int k, n = words(argc, argv, &i);

			if (n == 0)
				return bad("%s needs interface names", a);
			if (first_iface)
				o->niface = 0;
			first_iface = 0;
			for (k = i - n + 1; k <= i; k++) {
				if (o->niface == PLAN_MAX_IFACES)
					return bad("too many interfaces at "
						   "'%s'", argv[k]);
				if (bad_ifname(argv[k]))
					return -1;
				snprintf(o->iface[o->niface++], IFNAMSIZ, "%s",
					 argv[k]);
			}
		} else if (!strcmp(a, "--bypass")) {
			int k, n = words(argc, argv, &i), fam;

			if (n == 0)
				return bad("%s needs CIDRs", a);
			if (first_bypass)
				o->nbypass = 0;
			first_bypass = 0;
			for (k = i - n + 1; k <= i; k++) {
				if (o->nbypass == PLAN_MAX_BYPASS ||
				    plan_parse_cidr(argv[k], &fam) < 0)
					return bad("bad bypass '%s' (want a "
						   "CIDR)", argv[k]);
				snprintf(o->bypass[o->nbypass++], 64, "%s",
					 argv[k]);
			}
		} else if (!strcmp(a, "--behind-router") && !doctor) {
			int k, n = words(argc, argv, &i), fam;

			if (n == 0 || n > 2)
				return bad("%s needs the proxy box's address "
					   "(one per family)", a);
			cli->router.on = 1;
			for (k = i - n + 1; k <= i; k++) {
				if (plan_parse_cidr(argv[k], &fam) < 0 ||
				    strchr(argv[k], '/') != NULL)
					return bad("bad address '%s'", argv[k]);
				snprintf(fam == PLAN_V6 ? cli->router.addr6 :
					 cli->router.addr4,
					 INET6_ADDRSTRLEN, "%s", argv[k]);
			}
		} else if ((!strcmp(a, "--router-wan") ||
			    !strcmp(a, "--tos")) && !doctor) {
			if (v == NULL)
				return bad("%s needs a value", a);
			i++;
			if (!strcmp(a, "--tos")) {
				char *end;
				unsigned long t = strtoul(v, &end, 0);

				if (*end || end == v || t == 0 || t > 255 ||
				    (t & 3))
					return bad("bad TOS '%s' (4..252, a "
						   "multiple of 4)", v);
				cli->router.tos = (int)t;
			} else {
				if (bad_ifname(v))
					return -1;
				snprintf(cli->router.wan, IFNAMSIZ, "%s", v);
			}
		} else if (!strcmp(a, "--bridge")) {
			if (i + 2 >= argc)
				return bad("%s needs CLIENT_IF INET_IF", a);
			if (bad_ifname(argv[i + 1]) ||
			    bad_ifname(argv[i + 2]))
				return -1;
			o->bridge = 1;
			snprintf(o->br_client, IFNAMSIZ, "%s", argv[i + 1]);
			snprintf(o->br_inet, IFNAMSIZ, "%s", argv[i + 2]);
			i += 2;
		} else {
			return bad("unknown option '%s'", a);
		}
	}
	return 0;
}

/* The bridge both ports belong to, and its MAC address (sysfs). */
static int
resolve_bridge(struct plan_opts *o)
{
	char path[128], m1[128] = "", m2[128] = "", *b1, *b2;
	struct sbuf mac = { 0 };
	ssize_t r;

	if (!o->bridge)
		return 0;
	if (if_nametoindex(o->br_client) == 0 ||
	    if_nametoindex(o->br_inet) == 0) {
		fprintf(stderr, "tproxyctl: interface '%s' does not exist "
			"(see `ip link`)\n", if_nametoindex(o->br_client) ?
			o->br_inet : o->br_client);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", o->br_client);
	r = readlink(path, m1, sizeof(m1) - 1);
	if (r > 0)
		m1[r] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", o->br_inet);
	r = readlink(path, m2, sizeof(m2) - 1);
	if (r > 0)
		m2[r] = '\0';
	b1 = strrchr(m1, '/');
	b2 = strrchr(m2, '/');
	if (b1 == NULL || b2 == NULL || strcmp(b1, b2) != 0) {
		fprintf(stderr, "tproxyctl: --bridge %s %s: both must be ports "
			"of the same bridge (`ip link set IF master BR`)\n",
			o->br_client, o->br_inet);
		return -1;
	}
	snprintf(o->br_dev, sizeof(o->br_dev), "%s", b1 + 1);
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", o->br_dev);
	if (read_file(path, &mac) < 0) {
		fprintf(stderr, "tproxyctl: cannot read %s\n", path);
		sbuf_free(&mac);
		return -1;
	}
	snprintf(o->br_mac, sizeof(o->br_mac), "%s", sbuf_str(&mac));
	rstrip(o->br_mac);
	sbuf_free(&mac);
	return 0;
}

static struct cfg *
load_config(const char *path, char *err, size_t errlen)
{
	struct cfg_msgs msgs;
	struct cfg *c;
	size_t i;

	memset(&msgs, 0, sizeof(msgs));
	c = cfg_load(path, &msgs);
	err[0] = '\0';
	for (i = 0; i < msgs.n; i++)
		if (msgs.msg[i].level == CFG_ERR && err[0] == '\0')
			snprintf(err, errlen, "%s", msgs.msg[i].text);
	cfg_msgs_free(&msgs);
	return c;
}

static const char *
state_arg(int argc, char **argv)
{
	int i;

	for (i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--state"))
			return argv[i + 1];
	return STATE_DEFAULT;
}

int
main(int argc, char **argv)
{
	struct plan_opts o;
	struct cli cli;
	struct cfg *c = NULL;
	char cerr[512] = "";
	int doctor, rc, from_state = 0;

	if (argc == 2 && (strcmp(argv[1], "-v") == 0 ||
			  strcmp(argv[1], "--version") == 0)) {
		printf("tproxyctl version %s\n", TPROXYD_VERSION);
		return EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		help_all(stdout);
		putchar('\n');
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* tproxyctl COMMAND ... --help: that command's usage, nothing
	 * done. */
	if (help_asked(argc, argv, 2) && help_cmd(stdout, argv[1]) == 0)
		return EXIT_OK;
	memset(&cli, 0, sizeof(cli));
	cli.router.tos = -1;
	plan_opts_default(&o);
	if (strcmp(argv[1], "teardown") == 0) {
		if (parse(argc, argv, 0, &cli, &o) < 0)
			return 2;
		return apply_teardown(cli.state ? cli.state : STATE_DEFAULT);
	}
	if (strcmp(argv[1], "watch") == 0)
		return watch_main(argc, argv);
	if (strcmp(argv[1], "ca") == 0)
		return ca_main(argc, argv);
	if (strcmp(argv[1], "status") == 0) {
		const char *conf = TPROXYD_CONF;
		const char *state = STATE_DEFAULT;
		int i, json = 0;

		for (i = 2; i < argc; i++) {
			if (i + 1 < argc && strcmp(argv[i], "-f") == 0) {
				conf = argv[++i];
			} else if (i + 1 < argc &&
				   strcmp(argv[i], "--state") == 0) {
				state = argv[++i];
			} else if (strcmp(argv[i], "--json") == 0) {
				json = 1;
			} else {
				fprintf(stderr, "tproxyctl: status: unknown "
					"option '%s'\n", argv[i]);
				help_cmd(stderr, "status");
				return EXIT_USAGE;
			}
		}
		c = load_config(conf, cerr, sizeof(cerr));
		if (c == NULL) {
			fprintf(stderr, "tproxyctl: %s\n", cerr[0] ? cerr :
				"cannot load the configuration");
			return EXIT_FAIL;
		}
		if (json) {
			rc = status_json(c, conf, state);
			cfg_unref(c);
			return rc;
		}
		rc = status_run(c, conf);
		status_setup(state);
		cfg_unref(c);
		return rc;
	}
	doctor = strcmp(argv[1], "doctor") == 0;
	if (!doctor && strcmp(argv[1], "setup") != 0) {
		fprintf(stderr, "tproxyctl: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (doctor) {
		/* Doctor checks what the last setup did, unless told
		 * otherwise on the command line. */
		struct state st = { 0 };
		struct sbuf e = { 0 };

		if (state_load(state_arg(argc, argv), &st, &e) == 0 &&
		    st.have_opts) {
			o = st.opts;
			from_state = 1;
		}
		state_free(&st);
		sbuf_free(&e);
	}
	if (parse(argc, argv, doctor, &cli, &o) < 0)
		return 2;
	if (cli.conf) {
		c = load_config(cli.conf, cerr, sizeof(cerr));
		if (c == NULL && !doctor) {
			fprintf(stderr, "tproxyctl: %s\n", cerr[0] ? cerr :
				"cannot load the configuration");
			return 1;
		}
		/* --family (or, for doctor, the last setup's) wins over
		 * the families the configuration's tproxy lines cover;
		 * --port and --https-port over its ports. */
		if (c)
			conf_targets(c, cli.family_given || from_state,
				     cli.port_given, cli.https_port_given, &o);
		if (c && !cli.udp_port_given)
			conf_udp_target(c, &o);
	}
	if (cli.router.on && cli.router.tos < 0 && c != NULL)
		cli.router.tos = conf_tos(c);
	if (cli.router.on && router_check(&cli.router, &o, cerr,
					  sizeof(cerr)) < 0) {
		fprintf(stderr, "tproxyctl: %s\n", cerr);
		if (c)
			cfg_unref(c);
		return 2;
	}
	if (!doctor)
		drop_unusable_ipv6(&cli, &o);
	if (resolve_bridge(&o) < 0) {
		if (c)
			cfg_unref(c);
		return 1;
	}
	if (doctor) {
		doctor_state = cli.state;
		rc = doctor_run(&o, c, cli.conf, cerr[0] ? cerr : NULL,
				cli.json);
	} else if (cli.dry_run) {
		struct plan p = { 0 };
		struct sbuf out = { 0 };
		char err[512];

		if (plan_build(&o, &p, err, sizeof(err)) < 0) {
			fprintf(stderr, "tproxyctl: %s\n", err);
			rc = 1;
		} else {
			plan_render(&p, &out);
			if (cli.router.on)
				router_render(&cli.router, &o, &out);
			fputs(sbuf_str(&out), stdout);
			rc = 0;
		}
		plan_free(&p);
		sbuf_free(&out);
	} else {
		rc = apply_setup(&o, cli.state ? cli.state : STATE_DEFAULT);
		if (rc == 0 && cli.router.on) {
			struct sbuf out = { 0 };

			router_render(&cli.router, &o, &out);
			fputs(sbuf_str(&out), stdout);
			sbuf_free(&out);
		}
	}
	if (c)
		cfg_unref(c);
	return rc;
}
