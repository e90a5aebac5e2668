"""Pure modules that kill the interpreter importing them. The import check imports them in that
order (a package first, then modules by name) in shared children, so each death happens after
others were imported in the same process:

- ``crash_after_armed`` segfaults only when ``armed`` was imported before it: alone it imports
  fine, and bisection names ``armed``;
- ``e_crashes`` aborts (after ``d_fine``), and again alone;
- ``g_hangs`` sleeps forever (after ``f_fine``), and again alone;
- ``a_fine``, ``d_fine``, ``f_fine``, ``z_after`` import fine wherever they come.
"""
