/*
 * Intrusive circular doubly-linked lists, for run queues, wait queues and
 * timers. A list head is a struct list_node whose next and prev point at
 * itself when empty; a node that is on no list is kept self-linked too
 * (list_node_init, list_del), so list_on_list() answers "am I queued?"
 * without a separate flag. No locking: the owner of the list decides.
 */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_INIT(name)                                                        \
	{                                                                      \
		&(name), &(name)                                               \
	}

static inline void list_node_init(struct list_node *n)
{
	n->next = n->prev = n;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* For a node (not a head): is it linked into some list? */
static inline bool list_on_list(const struct list_node *n)
{
	return n->next != n;
}

/* Insert n between a and b. */
static inline void list_insert_between(struct list_node *n, struct list_node *a,
				       struct list_node *b)
{
	n->prev = a;
	n->next = b;
	a->next = n;
	b->prev = n;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head->prev, head);
}

static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head, head->next);
}

/* Insert n before pos (pos may be the head: then at the tail). */
static inline void list_add_before(struct list_node *pos, struct list_node *n)
{
	list_insert_between(n, pos->prev, pos);
}

static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_node_init(n);
}

#define list_entry(ptr, type, member)                                          \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* The first entry, or NULL when the list is empty. */
#define list_first_entry_or_null(head, type, member)                           \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))

#endif
