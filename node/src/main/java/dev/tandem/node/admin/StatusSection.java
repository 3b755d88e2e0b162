package dev.tandem.node.admin;

/**
 * One top-level section of {@code /status}. The built-in sections (node, config, listeners, sites,
 * upstreams) are sections like any other; the composition root adds the sections of other modules (the
 * cluster's VIPs, the mirror) by adapting their objects, so those modules need not know this interface.
 */
public interface StatusSection {

    /** The key of the section in the {@code /status} object, e.g. {@code "cluster"}. */
    String name();

    /**
     * The section's content now, as a JSON tree (see {@link Json}): maps, lists, strings, numbers, booleans
     * and null. Called on the admin event loop for every {@code /status}: read volatile state, never block.
     */
    Object render();

    static StatusSection of(String name, java.util.function.Supplier<Object> render) {
        return new StatusSection() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Object render() {
                return render.get();
            }
        };
    }
}
