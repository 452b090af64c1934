#ifndef FEATURE_ATLAS_COPENBLAS_SHIM_H
#define FEATURE_ATLAS_COPENBLAS_SHIM_H
#include <cblas.h>

/* OpenBLAS threading controls (declared in openblas_config.h / cblas.h on most builds). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* Kernel selection of a DYNAMIC_ARCH build: the name of the kernel family in use, and re-running the
   selection (it reads OPENBLAS_CORETYPE) after the library has loaded. */
char *openblas_get_corename(void);
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);

/* LAPACK, Fortran calling convention, exported by libopenblas:
   symmetric eigen-decomposition (divide and conquer). */
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);
/* Selected eigenpairs of a symmetric matrix (relatively robust representations). */
void ssyevr_(const char *jobz, const char *range, const char *uplo, const int *n, float *a, const int *lda,
             const float *vl, const float *vu, const int *il, const int *iu, const float *abstol, int *m,
             float *w, float *z, const int *ldz, int *isuppz, float *work, const int *lwork, int *iwork,
             const int *liwork, int *info);
#endif
