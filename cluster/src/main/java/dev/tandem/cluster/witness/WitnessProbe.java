package dev.tandem.cluster.witness;

import dev.tandem.cluster.vip.CommandRunner;
import dev.tandem.conf.WitnessConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/** Whether one witness answers now. Blocking: called off the event loops. */
@FunctionalInterface
public interface WitnessProbe {

    boolean reachable(WitnessConfig witness, Duration timeout);

    /**
     * ICMP with the system's {@code ping} (setuid or capability-enabled, so it works for an unprivileged
     * service, which Java's {@code InetAddress.isReachable} does not: without root it falls back to TCP port 7);
     * TCP with a connect. A refused connection counts as reached: the question is whether the network path
     * to the witness works, and a reset proves it does.
     */
    static WitnessProbe system(CommandRunner runner) {
        return (w, timeout) -> switch (w.probe()) {
            case ICMP -> {
                long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
                try {
                    yield runner.run(List.of("ping", "-n", "-q", "-c", "1", "-W", Long.toString(seconds), w.host()),
                            timeout.plusSeconds(1)).ok();
                } catch (IOException e) {
                    yield false;
                }
            }
            case TCP -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(w.host(), w.port()), (int) timeout.toMillis());
                    yield true;
                } catch (ConnectException e) {
                    yield e.getMessage() != null && e.getMessage().contains("refused");
                } catch (IOException e) {
                    yield false;
                }
            }
        };
    }
}
