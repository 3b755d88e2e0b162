package dev.tandem.proxy.routing;

/**
 * The routes recently chosen for paths, so that a path asked for again (a site's front page, its API's busy
 * endpoints) is routed by one hash and one comparison rather than through the regexes. The choice of a route
 * depends on the path alone and the table it belongs to never changes (a reload builds a new one), so an entry
 * can never be stale.
 *
 * <p>Bounded: a fixed number of slots, each holding the last path that hashed to it, and only paths up to
 * {@value #MAX_PATH} characters, so a client that sends nothing but new paths costs a slot write per request and
 * a fixed amount of memory. Shared by every event loop without locks: an entry is immutable and published
 * through its final fields, and a lost write is only a later miss.
 *
 * @param <R> what a route leads to
 */
final class RouteCache<R> {

    /** Longer paths are routed every time: they are rarely asked for twice, and would hold memory. */
    static final int MAX_PATH = 256;
    private static final int SLOTS = 512;

    /** A path and its route; a null route is the decision that no route takes the path. */
    record Entry<R>(String path, R route) {
    }

    @SuppressWarnings("unchecked")
    private final Entry<R>[] slots = new Entry[SLOTS];

    /** True when {@code path} may be kept. */
    static boolean fits(String path) {
        return path.length() <= MAX_PATH;
    }

    private static int slot(String path) {
        int h = path.hashCode();
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }

    /** The entry of {@code path}, or null when it has none. */
    Entry<R> get(String path) {
        Entry<R> e = slots[slot(path)];
        return e != null && e.path.equals(path) ? e : null;
    }

    void put(String path, R route) {
        slots[slot(path)] = new Entry<>(path, route);
    }
}
