/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ca.h - `tproxyctl ca create|show|export`: the CA that a bumping port
 * (https_port ... ssl-bump cert=... key=... generate-host-certificates=on)
 * signs its certificates with, made and shown without an openssl command
 * line to get right.
 */
#ifndef TPROXYCTL_CA_H
#define TPROXYCTL_CA_H

/* Where `tproxyctl ca` keeps ca.pem and ca.key without --dir. */
#define CA_DIR_DEFAULT "/etc/tproxyd/ca"

/* argv[1] is "ca". Exit status: 0 done, 1 failed, 2 usage error. */
int ca_main(int argc, char **argv);

#endif
