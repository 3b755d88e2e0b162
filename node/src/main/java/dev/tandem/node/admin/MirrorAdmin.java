package dev.tandem.node.admin;

import dev.tandem.cluster.mirror.Mirror;
import dev.tandem.node.admin.AdminRoute.Access;
import dev.tandem.node.wiring.Node;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The mirror on the admin listener: the {@code mirror} section of {@code /status} (the latest published, never
 * waited for), and
 *
 * <pre>
 * POST /api/mirror/confirm   body: a mirrored path; lets its held mass deletion go ahead (200; 404 when none is held)
 * POST /api/mirror/restore   body: a mirrored path; drops its held deletion and fetches the files back from a peer
 * </pre>
 */
public final class MirrorAdmin {

    private MirrorAdmin() {
    }

    public static void add(Node node, Mirror mirror) {
        node.statusSections().add(StatusSection.of("mirror", () -> mirror.status().toTree()));
        node.adminRoutes().add(new AdminRoute("POST", "/api/mirror/confirm", Access.API,
                r -> answer(mirror.confirmDeletion(root(r.body())))));
        node.adminRoutes().add(new AdminRoute("POST", "/api/mirror/restore", Access.API,
                r -> answer(mirror.restoreDeletion(root(r.body())))));
    }

    /** The body: the path itself, or {"root": "..."}. */
    static String root(String body) {
        String b = body.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\\s*\"root\"\\s*:\\s*\"([^\"]*)\"\\s*}").matcher(b);
        return m.matches() ? m.group(1) : b;
    }

    private static CompletableFuture<AdminResponse> answer(CompletableFuture<String> done) {
        return done.handle((msg, error) -> {
            if (error != null) {
                Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                return AdminResponse.error(t instanceof IllegalArgumentException ? 404 : 409, String.valueOf(t.getMessage()));
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("result", msg);
            return AdminResponse.json(200, body);
        });
    }
}
