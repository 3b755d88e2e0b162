package dev.tandem.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.node.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The /etc/tandem/tandem.yaml the .deb ships passes {@code tandem check}, which the unit runs before a start. */
class StarterConfigTest {

    @Test
    void theShippedConfigPassesTandemCheck() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path file = ServiceUnitTest.CONFIG;
        int exit = Main.run(new String[]{"check", file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        assertEquals(file + ": ok\n", out.toString(StandardCharsets.UTF_8));
    }
}
