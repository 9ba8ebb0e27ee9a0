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
static inline int fluid_key_backspace(void) { return KEY_BACKSPACE; }
static inline int fluid_err(void) { return ERR; }
static inline int fluid_key_ppage(void) { return KEY_PPAGE; }
static inline int fluid_key_npage(void) { return KEY_NPAGE; }
static inline int fluid_key_left(void) { return KEY_LEFT; }
static inline int fluid_key_right(void) { return KEY_RIGHT; }
// Esc arrives alone only after ESCDELAY ms (ncurses waits to tell it from a key
// sequence): 25 ms keeps Esc prompt on a local terminal.
static inline int fluid_set_escdelay(int ms) { return set_escdelay(ms); }

// Attributes (NCURSES_BITS macros) as plain ints for attrset().
static inline int fluid_a_normal(void) { return (int)A_NORMAL; }
static inline int fluid_a_bold(void) { return (int)A_BOLD; }
static inline int fluid_a_dim(void) { return (int)A_DIM; }
static inline int fluid_a_reverse(void) { return (int)A_REVERSE; }
static inline int fluid_a_underline(void) { return (int)A_UNDERLINE; }

// attrset / move+addnstr on stdscr (some are macros in curses.h).
static inline int fluid_attrset(int a) { return wattrset(stdscr, a); }
static inline int fluid_mvaddnstr(int y, int x, const char *s, int n) { return mvwaddnstr(stdscr, y, x, s, n); }
static inline int fluid_timeout(int ms) { wtimeout(stdscr, ms); return 0; }
static inline int fluid_getch(void) { return wgetch(stdscr); }
static inline int fluid_keypad(int on) { return keypad(stdscr, on ? TRUE : FALSE); }
static inline int fluid_refresh(void) { return wrefresh(stdscr); }
static inline int fluid_clear(void) { return wclear(stdscr); }

// A screen on the process's own terminal. stdin/stdout are C globals Swift 6 refuses to
// read (shared mutable state); read here, once, by the one thread that starts curses.
static inline SCREEN *fluid_newterm_stdio(void) { return newterm(NULL, stdout, stdin); }
#endif
