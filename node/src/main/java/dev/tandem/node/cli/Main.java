package dev.tandem.node.cli;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.Snapshot;
import dev.tandem.node.reload.QueuedSignals;
import dev.tandem.node.reload.Signals;
import dev.tandem.node.wiring.ConfigValidation;
import dev.tandem.node.wiring.Node;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code tandem} command line. */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    public static final int OK = 0;
    public static final int INVALID = 1;
    static final int UNREADABLE = 2;
    static final int USAGE = 64;

    private static final String USAGE_TEXT = """
            usage: tandem <command> [options]

              run    --config FILE [--node NAME]  run a node (SIGHUP reloads, SIGTERM stops gracefully)
              check  FILE                         validate a config: exit 0, or 1 with FILE:LINE:COL: message lines
                                                  (warnings, e.g. an expired certificate: FILE:LINE:COL: warning: ..., exit 0)
              status [--admin HOST:PORT] [--config FILE] [--token TOKEN] [--json]
                                                  a running node's state; exit 1 when it cannot be reached
              handover [--admin HOST:PORT] [--config FILE] [--token TOKEN] [--timeout SECONDS]
                                                  hand every VIP this node holds to a peer, losing no request,
                                                  and stay out of elections; waits until done (exit 0) or 1
              resume [--admin HOST:PORT] [--config FILE] [--token TOKEN]
                                                  end maintenance: take part in elections again
              maintenance on|off|config SITE [--admin HOST:PORT] [--config FILE] [--token TOKEN]
                                                  answer a site's requests with its maintenance page (503),
                                                  or not, on this node, over its config (config: as it says)
              mirror confirm ROOT [--admin HOST:PORT] [--config FILE] [--token TOKEN]
                                                  let the held mass deletion of the mirrored path ROOT go ahead
              mirror restore ROOT [--admin HOST:PORT] [--config FILE] [--token TOKEN]
                                                  drop it instead, and fetch the files back from a peer
              cleanup [--config FILE] [--node NAME]
                                                  remove the VIP addresses and nft tables a node that is not
                                                  running left on this host (its record in cluster.state_dir,
                                                  and the config's VIPs); exit 0 when nothing is left, else 1
              demo [--port N] [--admin-port N]    proxy on :8080 in front of two demo backends and a static root,
                                                  admin on :9090; Ctrl-C stops it and removes its temporary directory
            """;

    private Main() {
    }

    public static void main(String[] args) {
        // run and demo return once the node has stopped.
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Deque<String> rest = new ArrayDeque<>(Arrays.asList(args));
        String command = rest.poll();
        if (command == null || command.equals("-h") || command.equals("--help") || command.equals("help")) {
            (command == null ? err : out).print(USAGE_TEXT);
            return command == null ? USAGE : OK;
        }
        try {
            return switch (command) {
                case "check" -> check(rest, out, err);
                case "run" -> runNode(rest, err);
                case "cleanup" -> CleanupCommand.run(rest, out, err);
                case "status" -> StatusCommand.run(rest, out, err);
                case "handover", "resume" -> ClusterCommand.run(command, rest, out, err);
                case "mirror" -> MirrorCommand.run(rest, out, err);
                case "maintenance" -> MaintenanceCommand.run(rest, out, err);
                case "demo" -> Demo.run(rest, out);
                default -> {
                    err.println("tandem: unknown command '" + command + "'");
                    err.print(USAGE_TEXT);
                    yield USAGE;
                }
            };
        } catch (UsageException e) {
            err.println("tandem " + command + ": " + e.getMessage());
            err.print(USAGE_TEXT);
            return USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return INVALID;
        } catch (Exception e) {
            err.println("tandem " + command + ": " + e.getMessage());
            return INVALID;
        }
    }

    private static int check(Deque<String> args, PrintStream out, PrintStream err) throws UsageException {
        if (args.size() != 1) {
            throw new UsageException("expected exactly one FILE");
        }
        Path file = Path.of(args.poll());
        try {
            ConfigValidation validation = ConfigValidation.standard();
            Snapshot snapshot = validation.load(file, 0);
            // Warnings (an expired certificate, still served) do not make the config invalid: exit 0.
            for (ConfigError warning : validation.warnings(snapshot)) {
                err.println(warning.file() + ":" + warning.line() + ":" + warning.column() + ": warning: "
                        + warning.message());
            }
            out.println(file + ": ok");
            return OK;
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                err.println(error);
            }
            return INVALID;
        } catch (NoSuchFileException e) {
            err.println(file + ": cannot read: no such file");
            return UNREADABLE;
        } catch (IOException e) {
            err.println(file + ": cannot read: " + e.getMessage());
            return UNREADABLE;
        }
    }

    private static int runNode(Deque<String> args, PrintStream err) throws Exception {
        // Before anything else: a signal that arrives during the start must not take the JVM's default action
        // (SIGHUP's is to exit). It waits until the node runs.
        QueuedSignals queued = new QueuedSignals();
        try (Signals signals = Signals.install(queued::reload, queued::stop)) {
            log.info("signals: SIGHUP reloads, SIGTERM and SIGINT stop (held until the node runs)");
            return runNode(args, err, queued);
        }
    }

    private static int runNode(Deque<String> args, PrintStream err, QueuedSignals queued) throws Exception {
        Path config = null;
        String node = null;
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--config", "-c" -> config = Path.of(value(args, a));
                case "--node" -> node = value(args, a);
                default -> throw new UsageException("unknown option '" + a + "'");
            }
        }
        if (config == null) {
            throw new UsageException("--config FILE is required");
        }
        Node running;
        try {
            running = Node.start(config, dev.tandem.proxy.transport.Transport.detect(), node);
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                err.println(error);
            }
            return INVALID;
        } catch (IOException e) {
            err.println("tandem run: " + e.getMessage());
            return UNREADABLE;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        // Any other way out of the JVM still drains.
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "tandem-exit"));
        queued.running(new QueuedSignals.Target() {
            @Override
            public void reload() {
                running.reload("SIGHUP");
            }

            @Override
            public void stop() {
                if (stopping.compareAndSet(false, true)) {
                    new Thread(() -> {
                        running.stop(running.drainTimeout());
                        stopped.countDown();
                    }, "tandem-stop").start();
                }
            }
        });
        stopped.await();
        return OK;
    }

    static String value(Deque<String> args, String option) throws UsageException {
        String v = args.poll();
        if (v == null) {
            throw new UsageException(option + " needs a value");
        }
        return v;
    }

    /** A command line that does not make sense; answered with the usage text. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
