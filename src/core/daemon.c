/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.c - pid file, detaching, finding a running instance.
 */
#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/daemon.h"

static int ready_fd = -1;

pid_t
daemon_read_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (pid <= 1 || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	return (pid_t)pid;
}

int
daemon_write_pid(const char *path)
{
	char tmp[4096], line[32];
	pid_t old;
	int fd, n;

	old = daemon_read_pid(path);
	if (old > 0 && old != getpid())
		return -EEXIST;
	/* Ours already (-k upgrade keeps the pid): nothing to write, which
	 * the unprivileged new program may not be allowed to. */
	if (old == getpid())
		return 0;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n) {
		n = -errno;
		close(fd);
		unlink(tmp);
		return n;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		n = -errno;
		unlink(tmp);
		return n;
	}
	return 0;
}

void
daemon_remove_pid(const char *path)
{
	if (path != NULL && daemon_read_pid(path) == getpid())
		unlink(path);
}

int
daemon_detach(void)
{
	int p[2], fd, st;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		/* Parent: exit with the child's start-up verdict, so that
		 * "tproxyd && echo ok" and systemd Type=forking tell the
		 * truth. */
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(c);
		waitpid(pid, &st, 0);
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		/* stderr stays until ready: start-up errors still show. */
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

void
daemon_ready(int status)
{
	char c = (char)status;
	int fd;

	if (ready_fd < 0)
		return;
	(void)!write(ready_fd, &c, 1);
	close(ready_fd);
	ready_fd = -1;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

int
daemon_prepare_dir(const char *file, const char *user, int create_file)
{
	char path[4096];
	struct passwd *pw = NULL;
	char *dir;
	int fd, made_dir;

	if (file == NULL || snprintf(path, sizeof(path), "%s", file) >=
	    (int)sizeof(path))
		return file == NULL ? 0 : -ENAMETOOLONG;
	if (geteuid() == 0) {
		pw = getpwnam(user ? user : "proxy");
		if (pw == NULL && user == NULL)
			pw = getpwnam("nobody");
	}
	dir = dirname(path);
	made_dir = mkdir(dir, 0755) == 0;
	if (!made_dir && errno != EEXIST)
		return -errno;
	if (made_dir && pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		return -errno;
	if (!create_file)
		return 0;
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		  0640);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (pw != NULL && fchown(fd, pw->pw_uid, pw->pw_gid) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}
