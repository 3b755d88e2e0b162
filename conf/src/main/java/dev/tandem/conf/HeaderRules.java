package dev.tandem.conf;

import java.util.List;
import java.util.Map;

/**
 * Header rules of a site or a route ({@code headers: {request: ..., response: ...}}): what is set, added and
 * removed on the request towards the upstream and on the response towards the client. Names are lowercase.
 * The forwarding headers and the framing headers are never among them (the binder refuses them).
 */
public record HeaderRules(Ops request, Ops response) {

    public static final HeaderRules NONE = new HeaderRules(Ops.NONE, Ops.NONE);

    /**
     * One direction's rules, applied in this order: remove, set (replaces every field of that name), add
     * (appends a field).
     */
    public record Ops(Map<String, ValueTemplate> set, Map<String, ValueTemplate> add, List<String> remove) {

        public static final Ops NONE = new Ops(Map.of(), Map.of(), List.of());

        public Ops {
            set = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
            add = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(add));
            remove = List.copyOf(remove);
        }

        public boolean isEmpty() {
            return set.isEmpty() && add.isEmpty() && remove.isEmpty();
        }

        public int size() {
            return set.size() + add.size() + remove.size();
        }
    }

    public boolean isEmpty() {
        return request.isEmpty() && response.isEmpty();
    }
}
