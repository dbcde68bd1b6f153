"""What a schedule import needs to create an aircraft type it does not know yet.

The names of common IATA aircraft type codes: a kept list, not a registry; a code missing
here is created with the code as its name, which the Admin can change under Aircraft types.
Seats never come from here: they come from the file (an SSIM leg's aircraft configuration,
or a table's capacity column), read by `Seating`.
"""

import re
from dataclasses import dataclass

AIRCRAFT_TYPE_NAMES = {
    # Airbus
    "221": "Airbus A220-100",
    "223": "Airbus A220-300",
    "318": "Airbus A318",
    "319": "Airbus A319",
    "320": "Airbus A320",
    "321": "Airbus A321",
    "31N": "Airbus A319neo",
    "32N": "Airbus A320neo",
    "32Q": "Airbus A321neo",
    "332": "Airbus A330-200",
    "333": "Airbus A330-300",
    "338": "Airbus A330-800",
    "339": "Airbus A330-900",
    "342": "Airbus A340-200",
    "343": "Airbus A340-300",
    "345": "Airbus A340-500",
    "346": "Airbus A340-600",
    "351": "Airbus A350-1000",
    "359": "Airbus A350-900",
    "388": "Airbus A380-800",
    # Boeing
    "733": "Boeing 737-300",
    "734": "Boeing 737-400",
    "735": "Boeing 737-500",
    "736": "Boeing 737-600",
    "73G": "Boeing 737-700",
    "738": "Boeing 737-800",
    "739": "Boeing 737-900",
    "73H": "Boeing 737-800 (winglets)",
    "73W": "Boeing 737-700 (winglets)",
    "7M8": "Boeing 737 MAX 8",
    "7M9": "Boeing 737 MAX 9",
    "744": "Boeing 747-400",
    "752": "Boeing 757-200",
    "753": "Boeing 757-300",
    "762": "Boeing 767-200",
    "763": "Boeing 767-300",
    "764": "Boeing 767-400",
    "772": "Boeing 777-200",
    "773": "Boeing 777-300",
    "77L": "Boeing 777-200LR",
    "77W": "Boeing 777-300ER",
    "781": "Boeing 787-10",
    "788": "Boeing 787-8",
    "789": "Boeing 787-9",
    # Regional
    "AT4": "ATR 42",
    "AT5": "ATR 42-500",
    "AT7": "ATR 72",
    "CR7": "Bombardier CRJ700",
    "CR9": "Bombardier CRJ900",
    "CRK": "Bombardier CRJ1000",
    "DH4": "De Havilland Canada Dash 8-400",
    "E70": "Embraer 170",
    "E75": "Embraer 175",
    "E90": "Embraer 190",
    "E95": "Embraer 195",
    "290": "Embraer 190-E2",
    "295": "Embraer 195-E2",
    "100": "Fokker 100",
    "SF3": "Saab 340",
}


def aircraft_type_name(code):
    """The name of an IATA aircraft type code, or the code itself when the list lacks it."""
    return AIRCRAFT_TYPE_NAMES.get(code, code)


# An SSIM aircraft configuration gives seats per compartment letter; these letters are the
# cabins of an aircraft type. Any other letter counts as economy.
CABIN_OF_LETTER = {"F": "first", "C": "business", "J": "business", "W": "premium_economy"}


def _cabin(letter):
    return CABIN_OF_LETTER.get(letter, "economy")


@dataclass(frozen=True)
class Seating:
    """Seats per cabin, as a schedule file gives them."""

    configuration: str = ""  # as the file writes it ("W18Y112"); empty when it gives only a capacity
    first: int = 0
    business: int = 0
    premium_economy: int = 0
    economy: int = 0

    @property
    def total(self):
        return self.first + self.business + self.premium_economy + self.economy

    def __str__(self):
        cabins = " ".join(re.findall(r"[A-Z]\d+", self.configuration))
        return f"{cabins} = {self.total} seats" if cabins else f"{self.total} seats"

    @classmethod
    def from_configuration(cls, text):
        """'W18Y112VVCGO' -> W 18, Y 112: the compartment counts before the aircraft version ('VV...')."""
        pairs = re.findall(r"([A-Z])(\d{1,3})", text.split("VV", 1)[0])
        counts = dict.fromkeys(("first", "business", "premium_economy", "economy"), 0)
        for letter, count in pairs:
            counts[_cabin(letter)] += int(count)
        seating = cls("".join(letter + count for letter, count in pairs), **counts)
        return seating if seating.total else None

    @classmethod
    def from_capacity(cls, capacity):
        return cls(economy=capacity) if capacity else None
