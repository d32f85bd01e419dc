"""Common Cambodian family and given names, in Khmer script with the Latin spellings they are
found under in real registers (transliteration is not standardised: Sok / Sokh, Chea / Chia,
Srey / Srei, Chan Dara / Chandara).

Each entry: (Khmer, (romanisations, most common first)); given names also carry the sex they
are usually given to ("M", "F" or "U" for either). The first romanisation is used for an
original record; duplicates may use another (see ``generator``).
"""

from __future__ import annotations

FAMILY_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("សុខ", ("Sok", "Sokh", "Sock")),
    ("ចាន់", ("Chan", "Chann", "Chane")),
    ("ជា", ("Chea", "Chia", "Cheah")),
    ("គីម", ("Kim", "Kym", "Keam")),
    ("ហេង", ("Heng", "Haeng", "Heing")),
    ("លី", ("Ly", "Lee", "Li")),
    ("លឹម", ("Lim", "Lym", "Leum")),
    ("សំ", ("Sam", "Som", "Samm")),
    ("សេង", ("Seng", "Saeng", "Sieng")),
    ("មាស", ("Meas", "Mas", "Mias")),
    ("ពេជ្រ", ("Pich", "Pech", "Petch")),
    ("ង៉ែត", ("Nget", "Ngaet", "Ngeth")),
    ("កែវ", ("Keo", "Kaev", "Kev")),
    ("ស្រី", ("Srey", "Srei", "Sray")),
    ("ឆាយ", ("Chhay", "Chay", "Chhai")),
    ("ឈឹម", ("Chhim", "Chim", "Chhem")),
    ("ហ៊ុន", ("Hun", "Hoon", "Houn")),
    ("គង់", ("Kong", "Kung", "Korng")),
    ("ឡុង", ("Long", "Loung", "Lorng")),
    ("ម៉ៅ", ("Mao", "Mau", "Maow")),
    ("ញឹម", ("Nhem", "Nhim", "Nhoem")),
    ("អ៊ុក", ("Ouk", "Uk", "Ok")),
    ("ប៉ែន", ("Pen", "Paen", "Penn")),
    ("ប្រាក់", ("Prak", "Brak", "Prac")),
    ("ស៊ឹម", ("Sim", "Sym", "Seum")),
    ("តាន់", ("Tan", "Tann", "Tanh")),
    ("ទូច", ("Touch", "Toch", "Tuch")),
    ("យឹម", ("Yim", "Yem", "Yoem")),
    ("វង្ស", ("Vong", "Vung", "Vongs")),
    ("ជុំ", ("Chum", "Choum", "Chhum")),
    ("សារ", ("Sar", "Sa", "Sarr")),
    ("នួន", ("Nuon", "Noun", "Nun")),
    ("ផាន់", ("Phan", "Pan", "Phann")),
    ("ស៊ុន", ("Sun", "Soun", "Sunn")),
    ("រស់", ("Ros", "Rous", "Ruos")),
    ("ម៉ែន", ("Men", "Maen", "Mean")),
    ("ទេព", ("Tep", "Teb", "Tepp")),
    ("អ៊ុយ", ("Uy", "Ouy", "Oui")),
    ("យស", ("Yos", "Yous", "Yuos")),
    ("ប៊ុន", ("Bun", "Boun", "Bunn")),
    ("ឆន", ("Chhorn", "Chorn", "Chhon")),
    ("ហុក", ("Hok", "Hoc", "Hock")),
    ("ខៀវ", ("Khiev", "Khieu", "Kheav")),
    ("ឡាយ", ("Lay", "Lai", "Laiy")),
    ("មុំ", ("Mom", "Mum", "Momm")),
    ("អ៊ុំ", ("Oum", "Um", "Om")),
    ("ពៅ", ("Pov", "Pau", "Pao")),
    ("សាត", ("Sath", "Sat", "Saath")),
    ("ទិត្យ", ("Tith", "Tit", "Tiith")),
    ("វ៉ាន់", ("Vann", "Van", "Vanh")),
    ("យិន", ("Yin", "Yen", "Yinn")),
    ("អេង", ("Eng", "Aeng", "Ing")),
    ("ជ័យ", ("Chey", "Chhey", "Chay")),
    ("ហួត", ("Huot", "Hout", "Hoat")),
    ("តេង", ("Teng", "Taeng", "Tieng")),
)

GIVEN_NAMES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # women
    ("សុភា", ("Sophea", "Sophia", "Sophear"), "F"),
    ("ពិសី", ("Pisey", "Pisei", "Pisy"), "F"),
    ("ស្រីមុំ", ("Sreymom", "Srey Mom", "Sreimom"), "F"),
    ("ស្រីល័ក្ខ", ("Sreyleak", "Srey Leak", "Sreileak"), "F"),
    ("ស្រីពៅ", ("Sreypov", "Srey Pov", "Sreipov"), "F"),
    ("ស្រីនិច", ("Sreynich", "Srey Nich", "Sreinich"), "F"),
    ("ស្រីនាង", ("Sreyneang", "Srey Neang", "Sreineang"), "F"),
    ("ស្រីពេជ្រ", ("Sreypich", "Srey Pich", "Sreipich"), "F"),
    ("ចាន់ធូ", ("Chanthou", "Chanthu", "Chan Thou"), "F"),
    ("ចិន្តា", ("Chenda", "Chinda", "Chendaa"), "F"),
    ("បុប្ផា", ("Bopha", "Bupha", "Bophaa"), "F"),
    ("ចាន់ណារី", ("Channary", "Chanary", "Chan Nary"), "F"),
    ("ដាលីន", ("Dalin", "Daline", "Dalinn"), "F"),
    ("កល្យាណ", ("Kalyan", "Kalliyan", "Kolyan"), "F"),
    ("កញ្ញា", ("Kanha", "Kagna", "Kanya"), "F"),
    ("លក្ខិណា", ("Leakhena", "Lakhena", "Leakena"), "F"),
    ("ម៉ាលី", ("Maly", "Mali", "Malie"), "F"),
    ("មាលា", ("Mealea", "Mealia", "Meala"), "F"),
    ("នារី", ("Neary", "Neari", "Nearey"), "F"),
    ("ផល្លា", ("Phalla", "Phala", "Palla"), "F"),
    ("រចនា", ("Rachana", "Rachna", "Racana"), "F"),
    ("រស្មី", ("Raksmey", "Reaksmey", "Raksmei"), "F"),
    ("រំដួល", ("Romduol", "Rumduol", "Romdoul"), "F"),
    ("សុគន្ធា", ("Sokunthea", "Sokuntha", "Sokunthia"), "F"),
    ("សុភាព", ("Sopheap", "Sopheab", "Sophiep"), "F"),
    ("ធារី", ("Theary", "Thary", "Thearie"), "F"),
    ("ធីតា", ("Thida", "Tida", "Thidaa"), "F"),
    ("ចន្ទ្រា", ("Chantrea", "Chantria", "Chantra"), "F"),
    ("ដាវី", ("Davy", "Davi", "Davey"), "F"),
    ("កុលាប", ("Kolab", "Kulab", "Kolap"), "F"),
    ("លីណា", ("Lina", "Leena", "Linna"), "F"),
    ("មុន្នីកា", ("Monika", "Monica", "Monnika"), "F"),
    ("ឌីណា", ("Dina", "Deena", "Dinah"), "F"),
    ("នីតា", ("Nita", "Neta", "Nitha"), "F"),
    ("ភាព", ("Pheap", "Pheab", "Peap"), "F"),
    ("រ៉ាវី", ("Ravy", "Ravi", "Ravey"), "F"),
    ("ស៊ីណា", ("Sina", "Seena", "Sinaa"), "F"),
    ("សុម៉ាលី", ("Somaly", "Somali", "Sommaly"), "F"),
    ("ជីវី", ("Chivy", "Chivi", "Chivey"), "F"),
    ("សុវណ្ណារី", ("Sovannary", "Sovanary", "Sovannarey"), "F"),
    ("ស្រីរ័ត្ន", ("Sreyroth", "Srey Roth", "Sreiroth"), "F"),
    ("វណ្ណី", ("Vanny", "Vanni", "Vany"), "F"),
    # men
    ("វណ្ណៈ", ("Vannak", "Vanak", "Vannac"), "M"),
    ("ភក្តី", ("Pheakdey", "Pheakdei", "Peakdey"), "M"),
    ("ពិសិដ្ឋ", ("Piseth", "Piset", "Pisith"), "M"),
    ("សម្បត្តិ", ("Sambath", "Sambat", "Sambuth"), "M"),
    ("សំណាង", ("Samnang", "Somnang", "Samnag"), "M"),
    ("សុវណ្ណ", ("Sovann", "Sovan", "Sowan"), "M"),
    ("សុផល", ("Sophal", "Sophall", "Sophol"), "M"),
    ("សុភ័ក្រ", ("Sopheak", "Sopheac", "Sopheakk"), "M"),
    ("សុធី", ("Sothy", "Sothi", "Sothey"), "M"),
    ("វិបុល", ("Vibol", "Vibul", "Vipol"), "M"),
    ("វិសាល", ("Visal", "Visall", "Vesal"), "M"),
    ("វុឌ្ឍី", ("Vuthy", "Vuthi", "Vutty"), "M"),
    ("រិទ្ធី", ("Rithy", "Rithi", "Rity"), "M"),
    ("រដ្ឋា", ("Rotha", "Rottha", "Rathaa"), "M"),
    ("ប៊ុនធឿន", ("Bunthoeun", "Bunthoeurn", "Bun Thoeun"), "M"),
    ("ចំរើន", ("Chamroeun", "Chamreun", "Chamroeurn"), "M"),
    ("ចាន់ធី", ("Chanthy", "Chan Thy", "Chanthi"), "M"),
    ("កុសល", ("Kosal", "Kusal", "Kosall"), "M"),
    ("មករា", ("Makara", "Makkara", "Makra"), "M"),
    ("មុន្នី", ("Mony", "Moni", "Monny"), "M"),
    ("ណារិទ្ធ", ("Narith", "Narit", "Nareth"), "M"),
    ("បញ្ញា", ("Panha", "Pagna", "Panna"), "M"),
    ("ភិរុណ", ("Phirun", "Phiroun", "Pirun"), "M"),
    ("រ៉ាឌី", ("Rady", "Radi", "Radey"), "M"),
    ("សក្កដា", ("Sakada", "Sakkada", "Sakda"), "M"),
    ("សារ៉ាត់", ("Sarath", "Sarat", "Saroth"), "M"),
    ("សីហា", ("Seyha", "Seiha", "Sayha"), "M"),
    ("សុខុម", ("Sokhom", "Sokhum", "Sokom"), "M"),
    ("សុខហេង", ("Sokheng", "Sok Heng", "Sokhaeng"), "M"),
    ("សុធារិទ្ធ", ("Sothearith", "Sotharith", "Sothearit"), "M"),
    ("ធី", ("Thy", "Thi", "They"), "M"),
    ("វាសនា", ("Veasna", "Veassna", "Veasana"), "M"),
    ("វិចិត្រ", ("Vichet", "Vichit", "Vicheth"), "M"),
    ("វីរៈ", ("Vireak", "Virak", "Vireakk"), "M"),
    ("បូរ៉ា", ("Bora", "Borra", "Boura"), "M"),
    ("ចាន់រ៉ា", ("Chanra", "Chan Ra", "Chanraa"), "M"),
    ("គីមហេង", ("Kimheng", "Kim Heng", "Kimhaeng"), "M"),
    ("គីមសាន", ("Kimsan", "Kim San", "Kimsann"), "M"),
    ("លីហួរ", ("Lyhour", "Ly Hour", "Lihour"), "M"),
    ("ម៉េង", ("Meng", "Mheng", "Meang"), "M"),
    ("តុលា", ("Tola", "Tula", "Tolla"), "M"),
    ("វឌ្ឍនា", ("Vathana", "Vatthana", "Watthana"), "M"),
    ("យុទ្ធ", ("Yuth", "Yut", "Youth"), "M"),
    ("បូរី", ("Borey", "Borei", "Bory"), "M"),
    ("សុខលី", ("Sokly", "Sok Ly", "Sokli"), "M"),
    ("ពិសិទ្ធ", ("Pisith", "Piseth", "Pisit"), "M"),
    # either
    ("តារា", ("Dara", "Tara", "Darra"), "U"),
    ("សុខា", ("Sokha", "Sokhar", "Sokhaa"), "U"),
    ("សុធា", ("Sothea", "Sotheaa", "Sothia"), "U"),
    ("វណ្ណា", ("Vanna", "Vana", "Vannah"), "U"),
    ("និមល", ("Nimol", "Nimul", "Nimoul"), "U"),
    ("រតនា", ("Ratana", "Rattana", "Rathana"), "U"),
    ("សុវណ្ណា", ("Sovanna", "Sovana", "Sovannah"), "U"),
    ("ចាន់ដារ៉ា", ("Chandara", "Chan Dara", "Chandarra"), "U"),
)

# Many Khmer given names join a first syllable to a second one (សុខ + ហេង = សុខហេង, Sokheng;
# ស្រី + មុំ = ស្រីមុំ, Sreymom). Compounds of these first syllables with the family-name
# syllables above widen the pool from about 100 names to about 400, so that, as in a real
# register, most full names are not shared by hundreds of people. Romanised joined, spaced,
# and with the second spelling of each part (Sokheng, Sok Heng, Sokhhaeng).
COMPOUND_FIRST_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("សុខ", "U"), ("ចាន់", "U"), ("គីម", "U"), ("ស្រី", "F"), ("ប៊ុន", "M"), ("លី", "U"),
)


def _compound_given_names() -> tuple[tuple[str, tuple[str, ...], str], ...]:
    latin = dict(FAMILY_NAMES)
    taken = {km for km, _, _ in GIVEN_NAMES}
    out: list[tuple[str, tuple[str, ...], str]] = []
    for first, sex in COMPOUND_FIRST_SYLLABLES:
        a = latin[first]
        for second, b in FAMILY_NAMES:
            km = first + second
            if second == first or km in taken:
                continue
            taken.add(km)
            out.append((km, (a[0] + b[0].lower(), f"{a[0]} {b[0]}", a[1] + b[1].lower()), sex))
    return tuple(out)


# The common single names first (the most popular draw from the head of the list), then the
# compounds.
GIVEN_NAMES = GIVEN_NAMES + _compound_given_names()
