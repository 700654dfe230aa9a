/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transparent huge pages (thp.c). */
#ifndef WW_THP_H
#define WW_THP_H

#include <stdbool.h>

#include "hidden.h"

/* Whether huge pages can form in a mapping nobody advised; probed once,
 * after the uffd backend's files are open. */
WW_HIDDEN bool ww_thp_unadvised(void);

#endif /* WW_THP_H */
