/*
 * limits.c - the descriptor and connection budget (see limits.h).
 */
#include "core/limits.h"

static unsigned fd_limit;	/* RLIMIT_NOFILE to account against, or 0 */
static unsigned conn_limit;	/* client_connection_limit, or 0 */
static unsigned nclients;	/* all client connections */
static unsigned nstats;		/* ... of them on the stats_port */
static unsigned nservers;	/* server connections, pooled or serving */
static unsigned nextra;		/* other descriptors (splice pipes) */

void
lim_set_fd_limit(unsigned limit)
{
	fd_limit = limit;
}

void
lim_set_conn_limit(unsigned limit)
{
	conn_limit = limit;
}

void
lim_client_open(int stats_port)
{
	nclients++;
	if (stats_port)
		nstats++;
}

void
lim_client_close(int stats_port)
{
	nclients--;
	if (stats_port)
		nstats--;
}

void
lim_server_open(void)
{
	nservers++;
}

void
lim_server_close(void)
{
	nservers--;
}

void
lim_fds_take(unsigned n)
{
	nextra += n;
}

void
lim_fds_give(unsigned n)
{
	nextra -= n;
}

int
lim_fd_room(unsigned n)
{
	return fd_limit == 0 ||
	       nclients + nservers + nextra + n + LIM_FD_RESERVE < fd_limit;
}

int
lim_over(void)
{
	/* Every client may need a server connection: count both, and the
	 * splice pipes. */
	if (fd_limit &&
	    nclients + nservers + nextra + LIM_FD_RESERVE >= fd_limit)
		return 1;
	return conn_limit && nclients - nstats >= conn_limit;
}

unsigned
lim_clients(void)
{
	return nclients;
}

unsigned
lim_servers(void)
{
	return nservers;
}
