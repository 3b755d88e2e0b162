package dev.tandem.node.admin;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Every route of the admin listener; routes may be added and removed while it runs. */
public final class AdminRoutes {

    private final List<AdminRoute> routes = new CopyOnWriteArrayList<>();
    private volatile Audit audit = (method, path, status, remote) -> { };

    /** Hears about every call of a route that changes something (an API route), once answered or refused. */
    @FunctionalInterface
    public interface Audit {
        /** Called on the admin event loop or the thread that completed the route: be quick, never block. */
        void called(String method, String path, int status, String remote);
    }

    /** Sets who hears about API calls (the dashboard's timeline). */
    public void audit(Audit audit) {
        this.audit = audit;
    }

    Audit audit() {
        return audit;
    }

    /** Adds {@code route}, replacing one with the same method and pattern. */
    public void add(AdminRoute route) {
        remove(route.method(), route.pattern());
        routes.add(route);
    }

    public void remove(String method, String pattern) {
        routes.removeIf(r -> r.method().equals(method) && r.pattern().equals(pattern));
    }

    /** What a path and method lead to. */
    public sealed interface Match {
    }

    public record Found(AdminRoute route, Map<String, String> params) implements Match {
    }

    /** The path exists, but not for this method. */
    public record WrongMethod(List<String> allowed) implements Match {
    }

    public record NotFound() implements Match {
    }

    /** The route for {@code method} and the decoded path {@code segments}. */
    public Match match(String method, List<String> segments) {
        List<String> allowed = new java.util.ArrayList<>();
        for (AdminRoute r : routes) {
            Map<String, String> params = bind(r.pattern(), segments);
            if (params == null) {
                continue;
            }
            if (r.method().equals(method) || (method.equals("HEAD") && r.method().equals("GET"))) {
                return new Found(r, params);
            }
            allowed.add(r.method());
        }
        return allowed.isEmpty() ? new NotFound() : new WrongMethod(allowed);
    }

    private static Map<String, String> bind(String pattern, List<String> segments) {
        String[] parts = pattern.substring(1).split("/", -1);
        if (pattern.equals("/")) {
            parts = new String[0];
        }
        if (parts.length != segments.size()) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                if (segments.get(i).isEmpty()) {
                    return null;
                }
                params.put(p.substring(1, p.length() - 1), segments.get(i));
            } else if (!p.equals(segments.get(i))) {
                return null;
            }
        }
        return params;
    }
}
