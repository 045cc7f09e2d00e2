/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * help.c - tproxyctl's usage texts (see help.h). Kept in one place so
 * that `tproxyctl --help`, each `tproxyctl SUBCOMMAND --help`, the man
 * page and the bash completion (etc/bash-completion/tproxyctl) can be
 * compared side by side.
 */
#include <string.h>

#include "ca.h"
#include "help.h"
#include "state.h"

#ifndef TPROXYD_CONF
#define TPROXYD_CONF "/usr/local/etc/tproxyd/tproxyd.conf"
#endif

static const struct {
	const char *cmd;
	const char *text;
} helps[] = {
	{ "setup",
	  "usage: tproxyctl setup [-f tproxyd.conf] [options] [--dry-run]\n"
	  "Send the traffic to intercept to tproxyd: netfilter rules, policy "
	  "routing,\nsysctls. What it did is recorded in the state file, "
	  "for teardown.\n"
	  "  -f FILE               take the ports from tproxyd's "
	  "configuration\n"
	  "  --port PORT           tproxyd's TPROXY port for HTTP\n"
	  "  --ports 80,8080       destination ports to intercept as HTTP\n"
	  "  --https-port PORT     tproxyd's TPROXY port for HTTPS\n"
	  "  --https-ports 443,... destination ports to intercept as HTTPS\n"
	  "  --quic block|pass     refuse QUIC (UDP 443) so browsers use TCP\n"
	  "  --udp-port PORT       tproxyd's TPROXY port for UDP (udp_port)\n"
	  "  --udp-ports 53,443,...\n"
	  "                        destination UDP ports to intercept\n"
	  "  --on-failure open|closed\n"
	  "                        when tproxyd is down: go direct, or reset\n"
	  "  --mark 0x1/0x1        firewall mark for the routing rule\n"
	  "  --table 100           routing table (1..251)\n"
	  "  --rule-pref 100       routing rule preference (2..32765)\n"
	  "  --iface IF...         intercept only what arrives on these\n"
	  "  --bypass CIDR...      never intercept these destinations\n"
	  "  --family ipv4|ipv6|both\n"
	  "  --backend nft|iptables\n"
	  "  --bridge CLIENT_IF INET_IF\n"
	  "                        intercept on a bridge between two ports\n"
	  "  --behind-router PROXY_ADDR [PROXY_ADDR6] --router-wan IF "
	  "[--tos TOS]\n"
	  "                        print the router's side of a "
	  "proxy-behind-router set-up\n"
	  "  --state FILE          state file (default " STATE_DEFAULT ")\n"
	  "  --dry-run             print the steps, change nothing\n" },
	{ "teardown",
	  "usage: tproxyctl teardown [--state FILE]\n"
	  "Remove what the last setup did, as recorded in the state file.\n"
	  "  --state FILE          state file (default " STATE_DEFAULT ")\n" },
	{ "watch",
	  "usage: tproxyctl watch [--state FILE] [--interval MS] "
	  "[--overload-after MS]\n"
	  "Keep the interception rules in place while tproxyd runs, and "
	  "apply the\n--on-failure choice while it does not (run by the "
	  "tproxyctl unit).\n"
	  "  --state FILE          state file (default " STATE_DEFAULT ")\n"
	  "  --interval MS         how often to check (milliseconds)\n"
	  "  --overload-after MS   how long tproxyd may stop accepting before "
	  "it counts\n                        as down\n" },
	{ "status",
	  "usage: tproxyctl status [-f tproxyd.conf] [--state FILE] "
	  "[--json]\n"
	  "Is tproxyd running, its counters (from its stats_port), and what "
	  "the last\nsetup recorded. Exit status 0 when it runs, 1 when it "
	  "does not or its\ncounters cannot be read.\n"
	  "  -f FILE               tproxyd's configuration (default "
	  TPROXYD_CONF ")\n"
	  "  --state FILE          state file (default " STATE_DEFAULT ")\n"
	  "  --json                one JSON object (keys in tproxyctl(8))\n" },
	{ "doctor",
	  "usage: tproxyctl doctor [-f tproxyd.conf] [--json] [setup "
	  "options]\n"
	  "Check the kernel side of interception, each check OK, WARN or "
	  "FAIL with the\ncommand that fixes it. Exit status 1 when a check "
	  "FAILs. Without setup\noptions, checks what the last setup "
	  "recorded.\n"
	  "  -f FILE               tproxyd's configuration\n"
	  "  --json                the checks as JSON\n"
	  "  --state FILE          state file (default " STATE_DEFAULT ")\n" },
	{ "ca",
	  "usage: tproxyctl ca create [--dir DIR] [--name TEXT] [--days N] "
	  "[--rsa]\n"
	  "                           [--permit DOMAIN ...] [--force]\n"
	  "       tproxyctl ca show [--dir DIR | FILE]\n"
	  "       tproxyctl ca export [--dir DIR] [--der]\n"
	  "The certificate authority of TLS interception (ssl-bump).\n"
	  "  create                make a new CA key and certificate\n"
	  "  show                  describe the CA certificate\n"
	  "  export                print the certificate to install in "
	  "clients\n"
	  "  --dir DIR             where the CA lives (default " CA_DIR_DEFAULT
	  ")\n" },
};

void
help_all(FILE *f)
{
	fputs("usage: tproxyctl COMMAND [options]\n"
	      "Set up, check and remove the kernel side of tproxyd's "
	      "interception.\n"
	      "  setup      install the interception rules\n"
	      "  teardown   remove them\n"
	      "  watch      keep them in step with tproxyd (systemd unit)\n"
	      "  status     is tproxyd running, and its counters\n"
	      "  doctor     check the kernel side, with fixes\n"
	      "  ca         the certificate authority for TLS interception\n"
	      "  --help     this text; `tproxyctl COMMAND --help` for one "
	      "command\n"
	      "  --version  print the version\n"
	      "Exit status: 0 done, 1 failed, 2 bad command line.\n", f);
}

int
help_cmd(FILE *f, const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].cmd, cmd) == 0) {
			fputs(helps[i].text, f);
			return 0;
		}
	return -1;
}

int
help_asked(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}
