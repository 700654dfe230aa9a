/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Machine and kernel strings for the report, and number formatting. */
#include "config.h"
#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void bench_note(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->nnotes >= (int)(sizeof(b->notes) / sizeof(b->notes[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(b->notes[b->nnotes++], sizeof(b->notes[0]), fmt, ap);
	va_end(ap);
}

void sysinfo_fill(struct bench *b)
{
	struct utsname u;
	char line[512], model[256] = "unknown CPU";
	long mem_kib = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
				snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (f) {
		if (fscanf(f, "MemTotal: %ld", &mem_kib) != 1)
			mem_kib = 0;
		fclose(f);
	}
	snprintf(b->machine, sizeof(b->machine), "%s, %ld CPUs, %.0f GiB RAM", model,
		 sysconf(_SC_NPROCESSORS_ONLN), (double)mem_kib / (1024.0 * 1024.0));
	f = fopen("/proc/loadavg", "r");
	if (f) {
		/* other load on the machine makes every number noisier: say so */
		double l1, l5, l15;

		if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
			snprintf(b->load_start, sizeof(b->load_start), "%.2f %.2f %.2f", l1, l5, l15);
		fclose(f);
	}
	if (uname(&u) == 0)
		snprintf(b->kernel, sizeof(b->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	else
		snprintf(b->kernel, sizeof(b->kernel), "unknown");
}

void fmt_time(char *buf, size_t len, double ns)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" },
	};

	if (isnan(ns)) {
		snprintf(buf, len, "-");
		return;
	}
	for (int i = 0; i < 4; i++)
		if (fabs(ns) >= u[i].div || i == 3) {
			double v = ns / u[i].div;

			snprintf(buf, len, v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v,
				 u[i].unit);
			return;
		}
}

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= GIB && bytes % GIB == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes / GIB));
	else if (bytes >= MIB && bytes % MIB == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes / MIB));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes / 1024));
}
