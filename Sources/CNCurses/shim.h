#ifndef FLUID_CNCURSES_SHIM_H
#define FLUID_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

// Macros Swift cannot import, as functions.
static inline int fluid_color_pair(int n) { return COLOR_PAIR(n); }
static inline int fluid_key_resize(void) { return KEY_RESIZE; }
static inline int fluid_key_f(int n) { return KEY_F(n); }
static inline int fluid_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int fluid_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline WINDOW *fluid_stdscr(void) { return stdscr; }
#endif
