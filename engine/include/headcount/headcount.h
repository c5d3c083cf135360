/*
 * headcount: counts GitHub Enterprise seats across GHES instances and GHEC
 * the way license sync does, and explains every grouping. This umbrella
 * header includes the whole public API.
 */
#ifndef HEADCOUNT_HEADCOUNT_H
#define HEADCOUNT_HEADCOUNT_H

#include "headcount/common.h"
#include "headcount/norm.h"
#include "headcount/hset.h"
#include "headcount/uf.h"
#include "headcount/census.h"
#include "headcount/reader.h"
#include "headcount/report.h"

#endif /* HEADCOUNT_HEADCOUNT_H */
