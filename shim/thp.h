/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transparent huge pages (thp.c). */
#ifndef WW_THP_H
#define WW_THP_H

#include <stdbool.h>

#include "hidden.h"

/* Whether huge pages can form in a mapping nobody advised: read from the
 * sysfs mode files by ww_thp_probe(), once, into the kerndat. */
WW_HIDDEN bool ww_thp_probe(void);
WW_HIDDEN bool ww_thp_unadvised(void);

#endif /* WW_THP_H */
