#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

// The probe child's pulses (watchdog.go) come from a thread of its own,
// outside the Go runtime: a goroutine stands still while the runtime waits
// to stop the world for another goroutine's long copy (the index of a
// million files is hundreds of MB), which is progress all the same.

static int pulse_fd = -1;
static int64_t pulse_ns;
static int data_work;

void hv_pulse_data(int on) { __atomic_store_n(&data_work, on, __ATOMIC_RELAXED); }

// progress grows while the child moves on: links its scans visited and,
// during one libhdf5 call over data, pages touched and blocks read.
static uint64_t progress(void) {
	uint64_t n = hv_scanned();
	if (__atomic_load_n(&data_work, __ATOMIC_RELAXED)) {
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			n += (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt + (uint64_t)ru.ru_inblock;
	}
	return n;
}

static int beat(void) {
	char b = 1;
	ssize_t w;
	do {
		w = write(pulse_fd, &b, 1);
	} while (w < 0 && errno == EINTR);
	return w == 1 ? 0 : -1;
}

static void *pulse_loop(void *arg) {
	(void)arg;
	// Signals go to the Go threads; a write to a closed pipe fails with
	// EPIPE here instead of raising SIGPIPE.
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	uint64_t last = progress();
	for (;;) {
		struct timespec t = {(time_t)(pulse_ns / 1000000000), (long)(pulse_ns % 1000000000)};
		while (nanosleep(&t, &t) < 0 && errno == EINTR) {
		}
		uint64_t n = progress();
		if (n == last) continue;
		last = n;
		if (beat() < 0) return NULL;
	}
}

int hv_pulse_start(int fd, int64_t tick_ns) {
	pulse_fd = fd;
	pulse_ns = tick_ns;
	// Ready, before the child reads its first request: a child stopped in
	// that request is silent, never merely starting.
	if (beat() < 0) return -1;
	pthread_t th;
	if (pthread_create(&th, NULL, pulse_loop, NULL) != 0) return -1;
	pthread_detach(th);
	return 0;
}
