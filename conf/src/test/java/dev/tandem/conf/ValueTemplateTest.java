package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.ValueTemplate.Variable;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ValueTemplateTest {

    private static final Function<Variable, String> VALUES = v -> switch (v) {
        case HOST -> "example.com";
        case URI -> "/a b";
        case ARGS -> null;
        default -> v.key();
    };

    @Test
    void expandsConstantsVariablesAloneAndMixed() {
        assertEquals("DENY", ValueTemplate.parse("DENY").expand(VALUES));
        assertTrue(ValueTemplate.parse("DENY").constant());
        assertEquals("example.com", ValueTemplate.parse("$host").expand(VALUES));
        assertEquals("example.com", ValueTemplate.parse("${host}").expand(VALUES));
        assertFalse(ValueTemplate.parse("$host").constant());
        assertEquals("", ValueTemplate.parse("$args").expand(VALUES), "a variable without a value is empty");
        assertEquals("https://example.com/new/a b?", ValueTemplate.parse("https://$host/new$uri?$args").expand(VALUES));
        assertEquals("cost $5", ValueTemplate.parse("cost $5").expand(VALUES), "$ before a digit is literal");
        assertEquals("", ValueTemplate.parse("").expand(VALUES));
    }
}
