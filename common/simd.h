/*
 * simd.h: which SIMD routines a build uses, chosen at build time by
 * architecture.  Every routine that has a SIMD form has a scalar one
 * beside it, and the scalar one is what a build without these macros gets.
 *
 *   HW_SIMD_SSE2   x86 with SSE2 (every x86-64): hookscan.c, event_scan.c
 *   HW_SIMD_X86    x86: the scrubber's prefilter, SSSE3, checked at run time
 *   HW_SIMD_NEON   AArch64: reserved; no routine has a NEON form yet, so
 *                  those builds take the scalar code.  A NEON form goes
 *                  beside the SSE2 one under #elif HW_SIMD_NEON.
 *
 * make PORTABLE=1 (HOOKWIRE_PORTABLE) and HOOKWIRE_NO_SIMD turn all of them
 * off, so that make check runs the scalar code on this machine too.
 */
#ifndef HOOKWIRE_SIMD_H
#define HOOKWIRE_SIMD_H

#if defined(HOOKWIRE_PORTABLE) || defined(HOOKWIRE_NO_SIMD)
#define HW_SIMD_SSE2 0
#define HW_SIMD_X86  0
#define HW_SIMD_NEON 0
#else
#if defined(__SSE2__)
#define HW_SIMD_SSE2 1
#else
#define HW_SIMD_SSE2 0
#endif
#if defined(__x86_64__) || defined(__i386__)
#define HW_SIMD_X86 1
#else
#define HW_SIMD_X86 0
#endif
#define HW_SIMD_NEON 0 /* defined(__aarch64__) once a routine has a NEON form */
#endif

#endif
