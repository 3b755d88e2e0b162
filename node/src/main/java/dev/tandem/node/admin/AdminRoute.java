package dev.tandem.node.admin;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One endpoint of the admin listener. Other parts of Tandem add theirs (e.g. the cluster's
 * {@code POST /api/handover}) through {@link AdminRoutes#add}.
 *
 * @param method  {@code GET}, {@code POST}, ...
 * @param pattern a path whose segments are literals or {@code {name}} placeholders, e.g.
 *                {@code /api/upstreams/{upstream}/servers/{server}/drain}
 * @param access  who may call it
 * @param handler answers it
 */
public record AdminRoute(String method, String pattern, Access access, Handler handler) {

    /** Who may call a route. */
    public enum Access {
        /** Anyone who can reach the admin listener: pages and assets that carry no data. */
        PUBLIC,
        /** Read-only data ({@code /status}, {@code /metrics}): needs the token only when the listener is not on loopback. */
        READ,
        /** Changes something: needs the token whenever one is configured. */
        API
    }

    /** Answers a request. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Called on the admin event loop: answer at once from in-memory state, or hand blocking work to
         * another thread and complete the stage from there.
         */
        CompletionStage<AdminResponse> handle(AdminRequest request);
    }

    /** A route that answers at once. */
    public static AdminRoute sync(String method, String pattern, Access access,
                                  java.util.function.Function<AdminRequest, AdminResponse> handler) {
        return new AdminRoute(method, pattern, access, r -> CompletableFuture.completedFuture(handler.apply(r)));
    }
}
