/* The table names sys_kill; this arch builds its own. */
#define sys_kill sys_toy_kill
