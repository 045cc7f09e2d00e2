/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_ignored.c - Squid directives tproxyd accepts and ignores, so that
 * an existing squid.conf loads unchanged, each with the reason why
 * ignoring it is safe: it can neither widen access, nor leak data, nor
 * change what a client gets. Each use gets the warning
 * "FILE:LINE: WARNING: 'NAME' is not implemented by tproxyd; ignored
 * (WHY)" (config.c), never an error.
 *
 * Also the directives Squid 7 itself declares obsolete and ignores, with
 * the advice Squid gives for each (Squid's cf.data.pre). Obsolete
 * directives whose ignoring would widen access or leak data are refused
 * instead (cfg_refused.c).
 *
 * A directive that decides access, authentication, content or privacy is
 * never listed here: it is implemented by a module or refused. A module
 * that starts implementing one of these moves the name into its own table
 * (the unit test fails while a name is in two tables). Squid's full list
 * of directives and the class of each are checked by
 * tests/unit/test_cfg_modules.c and described in doc/tproxyd.conf.5
 * ("SQUID DIRECTIVES").
 */
#include <stddef.h>

#include "config/cfg-int.h"

#define W_THNC \
	"tuning of Squid's own store; tproxyd's cache is set by cache_mem, " \
	"cache_dir and the object size limits"
#define W_THNC2 \
	"tproxyd writes no store log (a debugging log of Squid's store)"
#define W_TDNC \
	"tproxyd does not change directory for core files"
#define W_PTTS \
	"process tuning; tproxyd sizes and schedules itself"
#define W_TRPR \
	"tproxyd reads pipelined requests one at a time"
#define W_CTTO \
	"connection tuning; tproxyd's own timeouts and connection reuse apply"
#define W_DTTR \
	"DNS tuning; the resolver's own settings apply"
#define W_NALU \
	"names are looked up in /etc/hosts and DNS"
#define W_SNMP \
	"tproxyd has no SNMP agent; its statistics are on stats_port " \
	"(Prometheus format), guarded by stats_access"
#define W_UDPA \
	"tproxyd's ICP and HTCP ports listen on every address; icp_access " \
	"and htcp_access decide who gets an answer"
#define W_PING \
	"tproxyd does not measure peers with ICMP, multicast ICP or a " \
	"network database: it picks peers by their cache_peer order and " \
	"their ICP and HTCP answers, and counts a sibling as dead after " \
	"10 seconds without answers"
#define W_WINI \
	"WCCPv1 is not implemented; only WCCPv2 (wccp2_*) redirects traffic"
#define W_EPKT \
	"error pages keep their status and decision; tproxyd's own page text " \
	"is sent"
#define W_TSNI \
	"tproxyd serves no icons or internal pages"
#define W_TSNM \
	"tproxyd sends no mail"
#define W_OCWM \
	"only changes which messages cache.log shows"
#define W_TDFL \
	"tproxyd detects forwarding loops by visible_hostname"
#define W_TPRW \
	"the process runs with the groups of cache_effective_user"
#define W_TEPS \
	"tproxyd's error pages show no version"
#define W_TDNP \
	"tproxyd does not process Surrogate-Control (no ESI)"
#define W_THNC3 \
	"tproxyd has no cache manager; its statistics are on stats_port, " \
	"guarded by stats_access"
#define W_TDNF \
	"tproxyd does not fetch ftp:// URLs"
#define W_TACT \
	"tproxyd always connects to the original destination of an " \
	"intercepted request"
#define W_OUBT \
	"a setting of decrypted TLS (ssl_bump bump) that tproxyd does not " \
	"apply"
#define W_OUBP \
	"a tuning of Squid's user cache; tproxyd keeps accepted Basic " \
	"credentials for auth_param basic credentialsttl and has no " \
	"max_user_ip"
#define W_OUBI \
	"only used by eCAP services, which tproxyd refuses"
#define W_ICAP206 \
	"tproxyd never offers ICAP servers partial (206) answers"
#define W_ICAPTTL \
	"a service whose OPTIONS name no Options-TTL is asked again after " \
	"a minute"
#define W_ICAPRETRY \
	"tproxyd does not retry a failed ICAP transaction; bypass= decides"
#define W_ICAPITER \
	"tproxyd applies at most one ICAP service per vectoring point"
#define W_ICAPIND \
	"X-Client-IP is the address of the connection's client"
#define W_ICAPLOG \
	"tproxyd writes no ICAP log; access.log and the metrics count " \
	"ICAP transactions"
#define W_OUBC \
	"only used by check_hostnames, which tproxyd refuses"
#define W_OUBT2 \
	"only used by the dst_as and src_as acls, which tproxyd refuses"
#define W_OUBT3 \
	"only used by the arp and eui64 acls"
#define W_AAOL \
	"annotations are only logged or matched by the note acl, which " \
	"tproxyd refuses"
#define W_EIF \
	"Expect: 100-continue is forwarded and the server answers it"
#define W_WFSO \
	"workaround for servers of the 1990s; requests are forwarded as sent"
#define W_TPAN \
	"tproxyd's parser accepts no message whose framing is ambiguous"
#define W_ILAN \
	"ident lookups are not made (removed in Squid 7); the ident acl is " \
	"refused"
#define W_MMSW \
	"multicast miss streams were removed in Squid 7"

#define W_LROT \
	"tproxyd reopens its logs on -k rotate; renaming old files is " \
	"left to logrotate (Debian's Squid sets it to 0 for the same reason)"
#define W_LBUF \
	"tproxyd writes log lines out within a second anyway"
#define W_LDMN \
	"tproxyd writes daemon: logs itself, without a helper program"
#define W_LMIM \
	"access.log lines do not carry the request and response headers; " \
	"a logformat with %>h and %<h logs them"

static const struct cfg_nodir ignored[] = {
	{ "cache_store_log",			NULL, W_THNC2 },
	{ "logfile_rotate",			NULL, W_LROT },
	{ "buffered_logs",			NULL, W_LBUF },
	{ "logfile_daemon",			NULL, W_LDMN },
	{ "log_mime_hdrs",			NULL, W_LMIM },
	{ "memory_cache_shared",		NULL, W_THNC },
	{ "memory_cache_mode",			NULL, W_THNC },
	{ "store_dir_select_algorithm",		NULL, W_THNC },
	{ "paranoid_hit_validation",		NULL, W_THNC },
	{ "max_open_disk_fds",			NULL, W_THNC },
	{ "cache_swap_state",			NULL, W_THNC },
	{ "cache_swap_log",			NULL, W_THNC },
	{ "store_avg_object_size",		NULL, W_THNC },
	{ "store_objects_per_bucket",		NULL, W_THNC },
	{ "vary_ignore_expire",			NULL, W_THNC },
	{ "collapsed_forwarding_access",	NULL, W_THNC },
	{ "shared_transient_entries_limit",	NULL, W_THNC },
	{ "collapsed_forwarding_shared_entries_limit", NULL, W_THNC },
	{ "digest_generation",			NULL, W_THNC },
	{ "digest_bits_per_entry",		NULL, W_THNC },
	{ "digest_rebuild_period",		NULL, W_THNC },
	{ "digest_rewrite_period",		NULL, W_THNC },
	{ "digest_swapout_chunk_size",		NULL, W_THNC },
	{ "digest_rebuild_chunk_percentage",	NULL, W_THNC },
	{ "diskd_program",			NULL, W_THNC },
	{ "unlinkd_program",			NULL, W_THNC },
	{ "coredump_dir",			NULL, W_TDNC },
	{ "shared_memory_locking",		NULL, W_PTTS },
	{ "hopeless_kid_revival_delay",		NULL, W_PTTS },
	{ "memory_pools",			NULL, W_PTTS },
	{ "memory_pools_limit",			NULL, W_PTTS },
	{ "sleep_after_fork",			NULL, W_PTTS },
	{ "high_response_time_warning",		NULL, W_PTTS },
	{ "high_page_fault_warning",		NULL, W_PTTS },
	{ "high_memory_warning",		NULL, W_PTTS },
	{ "incoming_udp_average",		NULL, W_PTTS },
	{ "incoming_icp_average",		NULL, W_PTTS },
	{ "incoming_tcp_average",		NULL, W_PTTS },
	{ "incoming_http_average",		NULL, W_PTTS },
	{ "incoming_dns_average",		NULL, W_PTTS },
	{ "min_udp_poll_cnt",			NULL, W_PTTS },
	{ "min_icp_poll_cnt",			NULL, W_PTTS },
	{ "min_dns_poll_cnt",			NULL, W_PTTS },
	{ "min_tcp_poll_cnt",			NULL, W_PTTS },
	{ "min_http_poll_cnt",			NULL, W_PTTS },
	{ "tcp_recv_bufsize",			NULL, W_PTTS },
	{ "client_request_buffer_max_size",	NULL, W_PTTS },
	{ "read_ahead_gap",			NULL, W_PTTS },
	{ "client_db",				NULL, W_PTTS },
	{ "stats_collection",			NULL, W_PTTS },
	{ "umask",				NULL, W_PTTS },
	{ "windows_ipaddrchangemonitor",	NULL, W_PTTS },
	{ "accept_filter",			NULL, W_PTTS },
	{ "pipeline_prefetch",			NULL, W_TRPR },
	{ "client_persistent_connections",	NULL, W_CTTO },
	{ "server_persistent_connections",	NULL, W_CTTO },
	{ "persistent_connection_after_error",	NULL, W_CTTO },
	{ "detect_broken_pconn",		NULL, W_CTTO },
	{ "pconn_lifetime",			NULL, W_CTTO },
	{ "client_lifetime",			NULL, W_CTTO },
	{ "server_pconn_for_nonretriable",	NULL, W_CTTO },
	{ "write_timeout",			NULL, W_CTTO },
	{ "request_start_timeout",		NULL, W_CTTO },
	{ "forward_timeout",			NULL, W_CTTO },
	{ "peer_connect_timeout",		NULL, W_CTTO },
	{ "connect_retries",			NULL, W_CTTO },
	{ "forward_max_tries",			NULL, W_CTTO },
	{ "happy_eyeballs_connect_timeout",	NULL, W_CTTO },
	{ "happy_eyeballs_connect_gap",		NULL, W_CTTO },
	{ "happy_eyeballs_connect_limit",	NULL, W_CTTO },
	{ "dns_retransmit_interval",		NULL, W_DTTR },
	{ "dns_timeout",			NULL, W_DTTR },
	{ "dns_packet_max",			NULL, W_DTTR },
	{ "dns_defnames",			NULL, W_DTTR },
	{ "dns_multicast_local",		NULL, W_DTTR },
	{ "ignore_unknown_nameservers",		NULL, W_DTTR },
	{ "ipcache_size",			NULL, W_DTTR },
	{ "ipcache_low",			NULL, W_DTTR },
	{ "ipcache_high",			NULL, W_DTTR },
	{ "fqdncache_size",			NULL, W_DTTR },
	{ "positive_dns_ttl",			NULL, W_DTTR },
	{ "negative_dns_ttl",			NULL, W_DTTR },
	{ "hosts_file",				NULL, W_NALU },
	{ "snmp_port",				NULL, W_SNMP },
	{ "snmp_access",			NULL, W_SNMP },
	{ "snmp_incoming_address",		NULL, W_SNMP },
	{ "snmp_outgoing_address",		NULL, W_SNMP },
	{ "udp_incoming_address",		NULL, W_UDPA },
	{ "udp_outgoing_address",		NULL, W_UDPA },
	{ "background_ping_rate",		NULL, W_PING },
	{ "mcast_groups",			NULL, W_PING },
	{ "mcast_icp_query_timeout",		NULL, W_PING },
	{ "dead_peer_timeout",			NULL, W_PING },
	{ "query_icmp",				NULL, W_PING },
	{ "test_reachability",			NULL, W_PING },
	{ "minimum_direct_hops",		NULL, W_PING },
	{ "minimum_direct_rtt",			NULL, W_PING },
	{ "netdb_low",				NULL, W_PING },
	{ "netdb_high",				NULL, W_PING },
	{ "netdb_ping_period",			NULL, W_PING },
	{ "netdb_filename",			NULL, W_PING },
	{ "pinger_program",			NULL, W_PING },
	{ "pinger_enable",			NULL, W_PING },
	{ "wccp_router",			NULL, W_WINI },
	{ "wccp_version",			NULL, W_WINI },
	{ "wccp_address",			NULL, W_WINI },
	{ "error_directory",			NULL, W_EPKT },
	{ "error_default_language",		NULL, W_EPKT },
	{ "error_log_languages",		NULL, W_EPKT },
	{ "err_page_stylesheet",		NULL, W_EPKT },
	{ "err_html_text",			NULL, W_EPKT },
	{ "email_err_data",			NULL, W_EPKT },
	{ "icon_directory",			NULL, W_TSNI },
	{ "global_internal_static",		NULL, W_TSNI },
	{ "short_icon_urls",			NULL, W_TSNI },
	{ "mime_table",				NULL, W_TSNI },
	{ "cache_mgr",				NULL, W_TSNM },
	{ "mail_from",				NULL, W_TSNM },
	{ "mail_program",			NULL, W_TSNM },
	{ "cache_log_message",			NULL, W_OCWM },
	{ "unique_hostname",			NULL, W_TDFL },
	{ "hostname_aliases",			NULL, W_TDFL },
	{ "cache_effective_group",		NULL, W_TPRW },
	{ "httpd_suppress_version_string",	NULL, W_TEPS },
	{ "httpd_accel_surrogate_id",		NULL, W_TDNP },
	{ "http_accel_surrogate_remote",	NULL, W_TDNP },
	{ "cachemgr_passwd",			NULL, W_THNC3 },
	{ "ftp_user",				NULL, W_TDNF },
	{ "ftp_passive",			NULL, W_TDNF },
	{ "ftp_epsv_all",			NULL, W_TDNF },
	{ "ftp_epsv",				NULL, W_TDNF },
	{ "ftp_eprt",				NULL, W_TDNF },
	{ "ftp_sanitycheck",			NULL, W_TDNF },
	{ "ftp_telnet_protocol",		NULL, W_TDNF },
	{ "ftp_client_idle_timeout",		NULL, W_TDNF },
	{ "client_dst_passthru",		NULL, W_TACT },
	{ "ssl_unclean_shutdown",		NULL, W_OUBT },
	{ "ssl_engine",				NULL, W_OUBT },
	{ "sslproxy_session_ttl",		NULL, W_OUBT },
	{ "sslproxy_session_cache_size",	NULL, W_OUBT },
	{ "sslproxy_cert_sign_hash",		NULL, W_OUBT },
	{ "sslpassword_program",		NULL, W_OUBT },
	{ "sslcrtvalidator_children",		NULL, W_OUBT },
	{ "authenticate_cache_garbage_interval", NULL, W_OUBP },
	{ "authenticate_ttl",			NULL, W_OUBP },
	{ "authenticate_ip_ttl",		NULL, W_OUBP },
	{ "ecap_enable",			NULL, W_OUBI },
	{ "icap_206_enable",			NULL, W_ICAP206 },
	{ "icap_default_options_ttl",		NULL, W_ICAPTTL },
	{ "adaptation_service_iteration_limit",	NULL, W_ICAPITER },
	{ "adaptation_masterx_shared_names",	NULL, W_ICAPITER },
	{ "icap_retry",				NULL, W_ICAPRETRY },
	{ "icap_retry_limit",			NULL, W_ICAPRETRY },
	{ "adaptation_uses_indirect_client",	NULL, W_ICAPIND },
	{ "icap_uses_indirect_client",		NULL, W_ICAPIND },
	{ "icap_log",				NULL, W_ICAPLOG },
	{ "allow_underscore",			NULL, W_OUBC },
	{ "as_whois_server",			NULL, W_OUBT2 },
	{ "eui_lookup",				NULL, W_OUBT3 },
	{ "note",				NULL, W_AAOL },
	{ "force_request_body_continuation",	NULL, W_EIF },
	{ "broken_posts",			NULL, W_WFSO },
	{ "relaxed_header_parser",		NULL, W_TPAN },
	{ "ident_lookup_access",		NULL, W_ILAN },
	{ "ident_timeout",			NULL, W_ILAN },
	{ "mcast_miss_addr",			NULL, W_MMSW },
	{ "mcast_miss_ttl",			NULL, W_MMSW },
	{ "mcast_miss_port",			NULL, W_MMSW },
	{ "mcast_miss_encode_key",		NULL, W_MMSW },
};

const struct cfg_dirtab cfg_dirs_ignored = {
	.module		= "ignored",
	.nokind		= CFG_NO_IGNORE,
	.nodir		= ignored,
	.nnodir		= CFG_NELEM(ignored),
};

/* Squid 7's obsolete directives it ignores, with Squid's advice. */
static const struct cfg_nodir obsolete[] = {
	{ "emulate_httpd_log", NULL,
	  "Replace this with an access_log directive using the format "
	  "'common' or 'combined'." },
	{ "log_fqdn", NULL,
	  "Remove this option from your config. To log FQDN use %>A in the "
	  "log format." },
	{ "log_ip_on_direct", NULL,
	  "Remove this option from your config. To log server or peer names "
	  "use %<A in the log format." },
	{ "broken_vary_encoding", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "cache_vary", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "error_map", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "external_refresh_check", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "location_rewrite_program", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "location_rewrite_access", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "location_rewrite_children", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "location_rewrite_concurrency", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "refresh_stale_hit", NULL,
	  "This option is not yet supported by Squid-3." },
	{ "esi_parser", NULL,
	  "Remove this line. Squid no longer supports this feature." },
	{ "announce_file", NULL,
	  "Remove this line. Squid no longer supports this feature." },
	{ "announce_host", NULL,
	  "Remove this line. Squid no longer supports this feature." },
	{ "announce_period", NULL,
	  "Remove this line. Squid no longer supports this feature." },
	{ "announce_port", NULL,
	  "Remove this line. Squid no longer supports this feature." },
	{ "request_entities", NULL,
	  "Remove this line. Squid now accepts HTTP/1.1 requests with bodies. "
	  "To simplify UI and code, Squid rejects certain HTTP/1.0 requests "
	  "with bodies." },
	{ "dns_v4_first", NULL,
	  "Remove this line. Squid no longer supports preferential treatment "
	  "of DNS A records." },
	{ "ie_refresh", NULL,
	  "Remove this line. The behaviour enabled by this is no longer "
	  "needed." },
	{ "sslproxy_cafile", NULL,
	  "Remove this line. Use tls_outgoing_options cafile= instead." },
	{ "sslproxy_capath", NULL,
	  "Remove this line. Use tls_outgoing_options capath= instead." },
	{ "sslproxy_cipher", NULL,
	  "Remove this line. Use tls_outgoing_options cipher= instead." },
	{ "sslproxy_client_certificate", NULL,
	  "Remove this line. Use tls_outgoing_options cert= instead." },
	{ "sslproxy_client_key", NULL,
	  "Remove this line. Use tls_outgoing_options key= instead." },
	{ "sslproxy_flags", NULL,
	  "Remove this line. Use tls_outgoing_options flags= instead." },
	{ "sslproxy_options", NULL,
	  "Remove this line. Use tls_outgoing_options options= instead." },
	{ "sslproxy_version", NULL,
	  "Remove this line. Use tls_outgoing_options options= instead." },
	{ "hierarchy_stoplist", NULL,
	  "Remove this line. Use always_direct or cache_peer_access ACLs "
	  "instead if you need to prevent cache_peer use." },
	{ "log_icap", NULL,
	  "Remove this line. Use acls with icap_log directives to control "
	  "icap logging" },
	{ "ignore_ims_on_miss", NULL,
	  "Remove this line. The HTTP/1.1 feature is now configured by "
	  "'cache_miss_revalidate'." },
	{ "balance_on_multiple_ip", NULL,
	  "Remove this line. Squid performs a 'Happy Eyeballs' algorithm, "
	  "this multiple-IP algorithm is not longer relevant." },
	{ "chunked_request_body_max_size", NULL,
	  "Remove this line. Squid is now HTTP/1.1 compliant." },
	{ "dns_v4_fallback", NULL,
	  "Remove this line. Squid performs a 'Happy Eyeballs' algorithm, the "
	  "'fallback' algorithm is no longer relevant." },
	{ "forward_log", NULL,
	  "Use a regular access.log with ACL limiting it to MISS events." },
	{ "ftp_list_width", NULL,
	  "Remove this line. Configure FTP page display using the CSS "
	  "controls in errorpages.css instead." },
	{ "ignore_expect_100", NULL,
	  "Remove this line. The HTTP/1.1 feature is now fully supported by "
	  "default." },
	{ "maximum_single_addr_tries", NULL,
	  "Replaced by connect_retries. The behaviour has changed, please "
	  "read the documentation before altering." },
	{ "referer_log", NULL,
	  "Replace this with an access_log directive using the format "
	  "'referrer'." },
	{ "referrer_log", NULL,
	  "Replace this with an access_log directive using the format "
	  "'referrer'." },
	{ "update_headers", NULL,
	  "Remove this line. The feature is supported by default in storage "
	  "types where update is implemented." },
	{ "url_rewrite_concurrency", NULL,
	  "Remove this line. Set the 'concurrency=' option of "
	  "url_rewrite_children instead." },
	{ "useragent_log", NULL,
	  "Replace this with an access_log directive using the format "
	  "'useragent'." },
	{ "dns_testnames", NULL,
	  "Remove this line. DNS is no longer tested on startup." },
	{ "extension_methods", NULL,
	  "Remove this line. All valid methods for HTTP are accepted by "
	  "default." },
	{ "zero_buffers", NULL,
	  "Remove this line." },
	{ "incoming_rate", NULL,
	  "Remove this line." },
	{ "server_http11", NULL,
	  "Remove this line. HTTP/1.1 is supported by default." },
	{ "upgrade_http0.9", NULL,
	  "Remove this line. ICY/1.0 streaming protocol is supported by "
	  "default." },
	{ "zph_local", NULL,
	  "Alter these entries. Use the qos_flows directive instead." },
	{ "zph_mode", NULL,
	  "Alter these entries. Use the qos_flows directive instead." },
	{ "zph_option", NULL,
	  "Alter these entries. Use the qos_flows directive instead." },
	{ "zph_parent", NULL,
	  "Alter these entries. Use the qos_flows directive instead." },
	{ "zph_sibling", NULL,
	  "Alter these entries. Use the qos_flows directive instead." },
	{ "httpd_accel_no_pmtu_disc", NULL,
	  "Since squid-3.0 use the 'disable-pmtu-discovery' flag on http_port "
	  "instead." },
	{ "wais_relay_host", NULL,
	  "Replace this line with 'cache_peer' configuration." },
	{ "wais_relay_port", NULL,
	  "Replace this line with 'cache_peer' configuration." },
};

const struct cfg_dirtab cfg_dirs_obsolete = {
	.module		= "obsolete",
	.nokind		= CFG_NO_OBSOLETE,
	.nodir		= obsolete,
	.nnodir		= CFG_NELEM(obsolete),
};
