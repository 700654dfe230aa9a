/*
 * kernelbase-writewatch: how the running Wine tracks write watch itself
 * (wine-tracking.c).  Unix side only.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_WINE_TRACKING_H
#define __WINE_KERNELBASE_WRITEWATCH_WINE_TRACKING_H

#include <stddef.h>
#include "unixlib.h"   /* enum ww_wine_tracking */

/* Classify Wine's tracking of the committed write-watch region [base, base +
 * size) that Wine made and nobody has written to; why gets the evidence. */
enum ww_wine_tracking ww_wine_tracking( void *base, size_t size, char *why, size_t len );

#endif
