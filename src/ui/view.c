/* SPDX-License-Identifier: MIT */
/*
 * Scroll anchoring by screen lines. Every function takes the pane's rows
 * and asks src for the heights of the entries it walks over, so a long
 * conversation costs what a screenful costs.
 */
#include "ui/view.h"

/* A view that follows the newest message. */
void
ui_view_init(struct ui_view *v)
{
	v->follow = true;
	v->top = 0;
	v->top_line = 0;
	v->news = false;
	v->hit = -1;
}

/* Put the anchor where the newest entry ends on the last of rows. */
void
ui_view_anchor_bottom(struct ui_view *v, struct ui_view_src *src, int rows)
{
	int total = 0, n;
	size_t i = src->n;

	v->top = 0;
	v->top_line = 0;
	while (i > 0) {
		i--;
		n = src->lines(src->arg, i);
		if (total + n >= rows) {
			v->top = i;
			v->top_line = total + n - rows;
			return;
		}
		total += n;
	}
}

/* Scroll k lines towards older entries, loading them at the top. */
void
ui_view_scroll_up(struct ui_view *v, struct ui_view_src *src, int rows, int k)
{
	size_t more;

	if (src->n == 0)
		return;
	if (v->follow)
		ui_view_anchor_bottom(v, src, rows);
	v->follow = false;
	while (k > 0) {
		if (v->top_line >= k) {
			v->top_line -= k;
			break;
		}
		k -= v->top_line;
		v->top_line = 0;
		if (v->top == 0) {
			/* Pages grow with the history: loading stays linear
			 * all the way up a long conversation. */
			more =
			    src->older(src->arg, src->n > 200 ? src->n : 200);
			if (more == 0)
				break;
			src->n += more;
			v->top += more;
			if (v->hit >= 0)
				v->hit += (long)more;
		}
		v->top--;
		v->top_line = src->lines(src->arg, v->top);
	}
}

/* Scroll k lines towards the newest; at the bottom, follow again. */
void
ui_view_scroll_down(struct ui_view *v, struct ui_view_src *src, int rows, int k)
{
	int below = 0, n;
	size_t i;

	if (v->follow)
		return;
	v->top_line += k;
	while (v->top < src->n &&
	    v->top_line >= (n = src->lines(src->arg, v->top))) {
		v->top_line -= n;
		v->top++;
	}
	for (i = v->top; i < src->n && below <= rows; i++)
		below += src->lines(src->arg, i);
	below -= v->top_line;
	if (v->top >= src->n || below <= rows) {
		v->follow = true;
		v->news = false;
	}
}

/* End: back to the newest, forgetting the search hit. */
void
ui_view_follow(struct ui_view *v)
{
	v->follow = true;
	v->news = false;
	v->hit = -1;
}

/* Show entry hit at the top of the pane, marked. */
void
ui_view_jump(struct ui_view *v, long hit)
{
	v->hit = hit;
	v->follow = false;
	v->top = (size_t)hit;
	v->top_line = 0;
}

/* Before drawing rows: anchor a following view, keep the top in range. */
void
ui_view_clamp(struct ui_view *v, struct ui_view_src *src, int rows)
{
	if (v->follow)
		ui_view_anchor_bottom(v, src, rows);
	if (src->n > 0 && v->top >= src->n)
		v->top = src->n - 1;
}

/*
 * The first item shown of a list rows high (a title row, then items) that
 * keeps item sel in sight: the sidebar draws from it and a click maps back
 * through it.
 */
long
ui_view_list_first(long sel, int rows)
{
	return sel >= rows - 1 ? sel - (rows - 2) : 0;
}
