/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * All of the library's internal interfaces at once, for the tests and the
 * Wine DLL's tracking code, which reach into several of them (fault
 * injection, stall points, backends).  The library's own files include the
 * headers they use instead.
 */
#ifndef WW_INTERNAL_H
#define WW_INTERNAL_H

#include "backend.h"
#include "bitmap.h"
#include "hidden.h"
#include "init.h"
#include "kerndat.h"
#include "log.h"
#include "process.h"
#include "region.h"
#include "stats.h"
#include "sys.h"
#include "thp.h"
#include "uaccess.h"
#include "uffd.h"
#include "vma.h"
#include "writewatch.h"
#include "ww-trusted.h"

#endif /* WW_INTERNAL_H */
