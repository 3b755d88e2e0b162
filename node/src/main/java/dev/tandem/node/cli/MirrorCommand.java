package dev.tandem.node.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;

/**
 * {@code tandem mirror confirm ROOT} and {@code tandem mirror restore ROOT} [--admin HOST:PORT] [--config FILE]
 * [--token TOKEN]: a held mass deletion of the mirrored path ROOT goes ahead, or is dropped and its files are
 * fetched back from a peer. The address and token are found as for {@code tandem status}. Exit status: 0 when
 * done, 1 otherwise (no deletion held there, no peer to fetch from, the node not reachable).
 */
final class MirrorCommand {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private MirrorCommand() {
    }

    static int run(Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException {
        String action = args.poll();
        if (!"confirm".equals(action) && !"restore".equals(action)) {
            throw new Main.UsageException("mirror: expected 'confirm ROOT' or 'restore ROOT'");
        }
        String root = null;
        String admin = null;
        Path config = null;
        String token = System.getenv(StatusCommand.TOKEN_ENV);
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--admin" -> admin = Main.value(args, a);
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--token" -> token = Main.value(args, a);
                default -> {
                    if (a.startsWith("-") || root != null) {
                        throw new Main.UsageException("unknown option '" + a + "'");
                    }
                    root = a;
                }
            }
        }
        if (root == null) {
            throw new Main.UsageException("mirror " + action + ": expected ROOT, a mirrored path");
        }
        AdminCall call = AdminCall.to("mirror", admin, config, token, REQUEST_TIMEOUT, err);
        if (call == null) {
            return Main.INVALID;
        }
        try {
            HttpResponse<String> r = call.send("POST", "/api/mirror/" + action,
                    HttpRequest.BodyPublishers.ofString(root, StandardCharsets.UTF_8));
            if (r.statusCode() == 200) {
                out.println("mirror " + action + " " + root + ": " + r.body().strip());
                return Main.OK;
            }
            err.println("tandem mirror " + action + ": " + call.refusal(r));
            return Main.INVALID;
        } catch (IOException e) {
            err.println(call.unreachable(e));
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
    }
}
