"""Wording for the demo scenario, by kind of mention.

Each text is a core sentence from one list below, sometimes with an @reply prefix or
a short suffix, so the kind of a bundled mention can be recognised from its text.
Complaints and praise use plain sentiment words a lexicon scorer reads the right way.
"""

from __future__ import annotations

__all__ = [
    "BOT",
    "CHATTER",
    "CHATTER_REPLIES",
    "COMPLAINTS",
    "FIRST_NAMES",
    "LARGE_COMPLAINT",
    "LAST_NAMES",
    "NEGATIVE_SUFFIXES",
    "OVERSIZE_TEXT",
    "PILE_ON",
    "POSITIVE_SUFFIXES",
    "PRAISE",
    "QUESTIONS",
    "TRUNCATED_TEXT",
]

LARGE_COMPLAINT = (
    "@acmecoffee my order was wrong THREE times this week and your support has ignored "
    "every single message. Worst service I have had in years. Really disappointed."
)

PILE_ON = (
    "Same thing happened to me. @acmecoffee is useless and ignores everyone. Terrible.",
    "This is terrible, @acmecoffee. Three wrong orders and no answer? Unacceptable.",
    "@acmecoffee why do you keep ignoring your customers? Awful.",
    "Disappointed but not surprised. Acme Coffee has the worst support.",
    "Yikes. @acmecoffee this is a terrible, terrible look.",
    "Never ordering from Acme Coffee again. Horrible, rude service.",
    "@acmecoffee ignored my complaint for two weeks too. Shameful.",
    "Acme Coffee got my order wrong again today. Worst chain in town.",
    "Seriously @acmecoffee, this is awful. Stop ignoring people, it is disgraceful.",
    "@acmecoffee the worst customer service I have ever dealt with. Pathetic.",
    "Ugh, same. @acmecoffee lost my order and blamed me. Terrible.",
    "Boycott @acmecoffee until they fix this mess. Disgraceful.",
)

COMPLAINTS = (
    "@acmecoffee waited 40 minutes for a cold, burnt latte. Terrible, awful service.",
    "@acmecoffee charged me twice for one order and nobody answers. Really disappointed.",
    "Worst Acme Coffee visit ever. Rude staff, dirty tables, awful coffee.",
    "@acmecoffee my delivery never arrived and support ignored me. Terrible.",
    "@acmecoffee the app keeps crashing and I lost my rewards. So frustrating and sad.",
    "Disappointed with Acme Coffee today. Wrong order, cold food, no apology.",
    "@acmecoffee found a hair in my sandwich. Disgusting, horrible experience.",
    "The Acme Coffee on Elm St is terrible now. Slow, rude and overpriced.",
)

PRAISE = (
    "Thank you @acmecoffee, the barista on Elm St made my whole morning. Lovely people!",
    "Hi @acmecoffee! Just wanted to say I love your oat latte. Have a great day!",
    "@acmecoffee you are the best. Great coffee and the friendliest staff in town.",
    "Good morning @acmecoffee, thanks for the free refill, so kind!",
    "Big thank you to @acmecoffee for remembering my order every day. Wonderful team.",
    "@acmecoffee the new seasonal blend is amazing, great job!",
    "Shout-out to @acmecoffee for the warm welcome today. Love this place.",
    "Hello @acmecoffee, happy anniversary! Thank you for the great coffee.",
    "@acmecoffee thanks for helping me find my lost keys yesterday, really appreciate it!",
    "Thank you @acmecoffee for the lovely birthday cupcake, it made me smile!",
    "@acmecoffee your staff are so kind and helpful. Thank you!",
    "Love the new cups @acmecoffee, beautiful design and great coffee.",
)

QUESTIONS = (
    "Does Acme Coffee open early on Sundays?",
    "@acmecoffee do you have decaf cold brew?",
    "Is the Acme Coffee app down or is it just me?",
    "@acmecoffee are your cups compostable?",
    "Which Acme Coffee roast suits a moka pot?",
    "@acmecoffee any plans for a store in Leeds?",
    "Does anyone know if Acme Coffee takes bookings for groups?",
    "@acmecoffee is the winter blend back this year?",
    "Can I use Acme Coffee vouchers in every store?",
    "@acmecoffee what time does the Market St store close?",
)

CHATTER = (
    "Grabbed an Acme Coffee on the way to the station.",
    "Working from the Acme Coffee on 5th this morning.",
    "Acme Coffee switched their playlist to jazz today.",
    "Meeting Sam at Acme Coffee at noon.",
    "The Acme Coffee near campus is busy at 8am, as usual.",
    "Trying the seasonal blend at Acme Coffee.",
    "Acme Coffee has a new oat milk supplier, according to the barista.",
    "Two flat whites from Acme Coffee, one for me and one for the train.",
    "Sketching at the window seat in Acme Coffee.",
    "Podcast and an Acme Coffee americano, the usual Monday.",
    "Saw a new Acme Coffee opening next to the library.",
    "Acme Coffee cold brew in a thermos for the hike today.",
    "Reading the paper at Acme Coffee before work.",
    "Morning ritual: espresso and a croissant #acmecoffee",
    "Dropped by Acme Coffee for beans, the Ethiopian roast is back.",
    "Acme Coffee is doing latte art classes on Saturdays now.",
    "Study group moved to the Acme Coffee on Elm St.",
)

CHATTER_REPLIES = (
    "the Acme Coffee on Main St has it too.",
    "same, Acme Coffee is my default office.",
    "see you at Acme Coffee then.",
    "the Acme Coffee on Elm opens at 7 I think.",
    "they had it at my Acme Coffee yesterday.",
)

BOT = (
    "Deal alert: Acme Coffee whole beans 20% off this week.",
    "Price tracker: Acme Coffee 1kg house blend now $18.90.",
)

POSITIVE_SUFFIXES = ("", "", " ☕", " ❤️", " #acmecoffee", " 🙏")
NEGATIVE_SUFFIXES = ("", "", " 😡", " #acmecoffee", " 🙄")

# Cut off mid-string, as a crashed exporter would leave it.
TRUNCATED_TEXT = "Anyone tried the new Acme Coffee cold brew? It's"
# A pasted spam wall, longer than any Mention may be.
OVERSIZE_TEXT = ("ACME COFFEE GIVEAWAY!!! Repost and follow to win a year of coffee! " * 160)[
    :10_400
]

FIRST_NAMES = (
    "ava", "liam", "noah", "emma", "olivia", "lucas", "mia", "ethan", "zoe", "leo",
    "isla", "omar", "priya", "chen", "sofia", "mateo", "hana", "yusuf", "nina", "felix",
    "aisha", "jonas", "lena", "diego", "mei", "sam", "ruth", "theo", "ines", "kofi",
    "anya", "raj", "elsa", "tomas", "freya", "malik", "ivy", "hugo", "nadia", "oscar",
)  # fmt: skip
LAST_NAMES = (
    "park", "silva", "novak", "okafor", "berg", "haddad", "kim", "rossi", "nguyen",
    "dubois", "mensah", "costa", "fischer", "tanaka", "garcia", "kowalski", "ali",
    "larsen", "moreau", "singh", "obi", "weber", "reyes", "sato", "murphy", "petrov",
    "lund", "hassan", "brennan", "ito",
)  # fmt: skip
