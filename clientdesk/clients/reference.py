# Tables of names read best one row a line, however long the name.
# ruff: noqa: E501
"""Reference data of the registry: OKVED classes, regions, offerings, tags, consent texts.

`ensure_reference_data()` is idempotent and independent of demo data: the demo generator and
the import both call it, and an operator may run it on a production database.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import models, transaction

from clientdesk.core import audit

from .models import ConsentPurpose, ConsentText, Industry, Offering, Region, Tag


class RegionInfo(NamedTuple):
    code: str  # as the first two digits of an INN
    name: str
    name_en: str
    city: str  # administrative centre, for addresses
    phone_prefix: str  # first three digits of a landline number in the centre (after +7)
    postcode: str  # first three digits of the centre's postcodes
    weight: float  # share of businesses, for demo data


# fmt: off
REGIONS: tuple[RegionInfo, ...] = (
    RegionInfo('01', 'Республика Адыгея', 'Republic of Adygea', 'Майкоп', '877', '385', 0.3),
    RegionInfo('02', 'Республика Башкортостан', 'Republic of Bashkortostan', 'Уфа', '347', '450', 2.5),
    RegionInfo('03', 'Республика Бурятия', 'Republic of Buryatia', 'Улан-Удэ', '301', '670', 0.6),
    RegionInfo('04', 'Республика Алтай', 'Altai Republic', 'Горно-Алтайск', '388', '649', 0.2),
    RegionInfo('05', 'Республика Дагестан', 'Republic of Dagestan', 'Махачкала', '872', '367', 0.8),
    RegionInfo('06', 'Республика Ингушетия', 'Republic of Ingushetia', 'Магас', '873', '386', 0.1),
    RegionInfo('07', 'Кабардино-Балкарская Республика', 'Kabardino-Balkar Republic', 'Нальчик', '866', '360', 0.3),
    RegionInfo('08', 'Республика Калмыкия', 'Republic of Kalmykia', 'Элиста', '847', '358', 0.1),
    RegionInfo('09', 'Карачаево-Черкесская Республика', 'Karachay-Cherkess Republic', 'Черкесск', '878', '369', 0.2),
    RegionInfo('10', 'Республика Карелия', 'Republic of Karelia', 'Петрозаводск', '814', '185', 0.4),
    RegionInfo('11', 'Республика Коми', 'Komi Republic', 'Сыктывкар', '821', '167', 0.5),
    RegionInfo('12', 'Республика Марий Эл', 'Mari El Republic', 'Йошкар-Ола', '836', '424', 0.3),
    RegionInfo('13', 'Республика Мордовия', 'Republic of Mordovia', 'Саранск', '834', '430', 0.3),
    RegionInfo('14', 'Республика Саха (Якутия)', 'Sakha (Yakutia) Republic', 'Якутск', '411', '677', 0.6),
    RegionInfo('15', 'Республика Северная Осетия — Алания', 'Republic of North Ossetia–Alania', 'Владикавказ', '867', '362', 0.3),
    RegionInfo('16', 'Республика Татарстан', 'Republic of Tatarstan', 'Казань', '843', '420', 3.2),
    RegionInfo('17', 'Республика Тыва', 'Tuva Republic', 'Кызыл', '394', '667', 0.1),
    RegionInfo('18', 'Удмуртская Республика', 'Udmurt Republic', 'Ижевск', '341', '426', 0.8),
    RegionInfo('19', 'Республика Хакасия', 'Republic of Khakassia', 'Абакан', '390', '655', 0.3),
    RegionInfo('20', 'Чеченская Республика', 'Chechen Republic', 'Грозный', '871', '364', 0.3),
    RegionInfo('21', 'Чувашская Республика', 'Chuvash Republic', 'Чебоксары', '835', '428', 0.6),
    RegionInfo('22', 'Алтайский край', 'Altai Krai', 'Барнаул', '385', '656', 1.2),
    RegionInfo('23', 'Краснодарский край', 'Krasnodar Krai', 'Краснодар', '861', '350', 3.5),
    RegionInfo('24', 'Красноярский край', 'Krasnoyarsk Krai', 'Красноярск', '391', '660', 1.6),
    RegionInfo('25', 'Приморский край', 'Primorsky Krai', 'Владивосток', '423', '690', 1.2),
    RegionInfo('26', 'Ставропольский край', 'Stavropol Krai', 'Ставрополь', '865', '355', 1.3),
    RegionInfo('27', 'Хабаровский край', 'Khabarovsk Krai', 'Хабаровск', '421', '680', 0.9),
    RegionInfo('28', 'Амурская область', 'Amur Oblast', 'Благовещенск', '416', '675', 0.4),
    RegionInfo('29', 'Архангельская область', 'Arkhangelsk Oblast', 'Архангельск', '818', '163', 0.6),
    RegionInfo('30', 'Астраханская область', 'Astrakhan Oblast', 'Астрахань', '851', '414', 0.5),
    RegionInfo('31', 'Белгородская область', 'Belgorod Oblast', 'Белгород', '472', '308', 0.8),
    RegionInfo('32', 'Брянская область', 'Bryansk Oblast', 'Брянск', '483', '241', 0.5),
    RegionInfo('33', 'Владимирская область', 'Vladimir Oblast', 'Владимир', '492', '600', 0.7),
    RegionInfo('34', 'Волгоградская область', 'Volgograd Oblast', 'Волгоград', '844', '400', 1.3),
    RegionInfo('35', 'Вологодская область', 'Vologda Oblast', 'Вологда', '817', '160', 0.6),
    RegionInfo('36', 'Воронежская область', 'Voronezh Oblast', 'Воронеж', '473', '394', 1.4),
    RegionInfo('37', 'Ивановская область', 'Ivanovo Oblast', 'Иваново', '493', '153', 0.5),
    RegionInfo('38', 'Иркутская область', 'Irkutsk Oblast', 'Иркутск', '395', '664', 1.3),
    RegionInfo('39', 'Калининградская область', 'Kaliningrad Oblast', 'Калининград', '401', '236', 0.8),
    RegionInfo('40', 'Калужская область', 'Kaluga Oblast', 'Калуга', '484', '248', 0.6),
    RegionInfo('41', 'Камчатский край', 'Kamchatka Krai', 'Петропавловск-Камчатский', '415', '683', 0.2),
    RegionInfo('42', 'Кемеровская область — Кузбасс', 'Kemerovo Oblast – Kuzbass', 'Кемерово', '384', '650', 1.1),
    RegionInfo('43', 'Кировская область', 'Kirov Oblast', 'Киров', '833', '610', 0.6),
    RegionInfo('44', 'Костромская область', 'Kostroma Oblast', 'Кострома', '494', '156', 0.3),
    RegionInfo('45', 'Курганская область', 'Kurgan Oblast', 'Курган', '352', '640', 0.3),
    RegionInfo('46', 'Курская область', 'Kursk Oblast', 'Курск', '471', '305', 0.5),
    RegionInfo('47', 'Ленинградская область', 'Leningrad Oblast', 'Гатчина', '813', '188', 1.2),
    RegionInfo('48', 'Липецкая область', 'Lipetsk Oblast', 'Липецк', '474', '398', 0.5),
    RegionInfo('49', 'Магаданская область', 'Magadan Oblast', 'Магадан', '413', '685', 0.1),
    RegionInfo('50', 'Московская область', 'Moscow Oblast', 'Красногорск', '496', '143', 6.5),
    RegionInfo('51', 'Мурманская область', 'Murmansk Oblast', 'Мурманск', '815', '183', 0.4),
    RegionInfo('52', 'Нижегородская область', 'Nizhny Novgorod Oblast', 'Нижний Новгород', '831', '603', 2.2),
    RegionInfo('53', 'Новгородская область', 'Novgorod Oblast', 'Великий Новгород', '816', '173', 0.3),
    RegionInfo('54', 'Новосибирская область', 'Novosibirsk Oblast', 'Новосибирск', '383', '630', 2.2),
    RegionInfo('55', 'Омская область', 'Omsk Oblast', 'Омск', '381', '644', 1.0),
    RegionInfo('56', 'Оренбургская область', 'Orenburg Oblast', 'Оренбург', '353', '460', 0.8),
    RegionInfo('57', 'Орловская область', 'Oryol Oblast', 'Орёл', '486', '302', 0.3),
    RegionInfo('58', 'Пензенская область', 'Penza Oblast', 'Пенза', '841', '440', 0.5),
    RegionInfo('59', 'Пермский край', 'Perm Krai', 'Пермь', '342', '614', 1.6),
    RegionInfo('60', 'Псковская область', 'Pskov Oblast', 'Псков', '811', '180', 0.3),
    RegionInfo('61', 'Ростовская область', 'Rostov Oblast', 'Ростов-на-Дону', '863', '344', 2.8),
    RegionInfo('62', 'Рязанская область', 'Ryazan Oblast', 'Рязань', '491', '390', 0.5),
    RegionInfo('63', 'Самарская область', 'Samara Oblast', 'Самара', '846', '443', 2.2),
    RegionInfo('64', 'Саратовская область', 'Saratov Oblast', 'Саратов', '845', '410', 1.0),
    RegionInfo('65', 'Сахалинская область', 'Sakhalin Oblast', 'Южно-Сахалинск', '424', '693', 0.4),
    RegionInfo('66', 'Свердловская область', 'Sverdlovsk Oblast', 'Екатеринбург', '343', '620', 3.3),
    RegionInfo('67', 'Смоленская область', 'Smolensk Oblast', 'Смоленск', '481', '214', 0.4),
    RegionInfo('68', 'Тамбовская область', 'Tambov Oblast', 'Тамбов', '475', '392', 0.4),
    RegionInfo('69', 'Тверская область', 'Tver Oblast', 'Тверь', '482', '170', 0.6),
    RegionInfo('70', 'Томская область', 'Tomsk Oblast', 'Томск', '382', '634', 0.6),
    RegionInfo('71', 'Тульская область', 'Tula Oblast', 'Тула', '487', '300', 0.8),
    RegionInfo('72', 'Тюменская область', 'Tyumen Oblast', 'Тюмень', '345', '625', 1.2),
    RegionInfo('73', 'Ульяновская область', 'Ulyanovsk Oblast', 'Ульяновск', '842', '432', 0.6),
    RegionInfo('74', 'Челябинская область', 'Chelyabinsk Oblast', 'Челябинск', '351', '454', 2.0),
    RegionInfo('75', 'Забайкальский край', 'Zabaykalsky Krai', 'Чита', '302', '672', 0.4),
    RegionInfo('76', 'Ярославская область', 'Yaroslavl Oblast', 'Ярославль', '485', '150', 0.7),
    RegionInfo('77', 'Москва', 'Moscow', 'Москва', '495', '123', 22.0),
    RegionInfo('78', 'Санкт-Петербург', 'Saint Petersburg', 'Санкт-Петербург', '812', '191', 8.5),
    RegionInfo('79', 'Еврейская автономная область', 'Jewish Autonomous Oblast', 'Биробиджан', '426', '679', 0.1),
    RegionInfo('83', 'Ненецкий автономный округ', 'Nenets Autonomous Okrug', 'Нарьян-Мар', '818', '166', 0.05),
    RegionInfo('86', 'Ханты-Мансийский автономный округ — Югра', 'Khanty-Mansi Autonomous Okrug – Yugra', 'Ханты-Мансийск', '346', '628', 1.0),
    RegionInfo('87', 'Чукотский автономный округ', 'Chukotka Autonomous Okrug', 'Анадырь', '427', '689', 0.03),
    RegionInfo('89', 'Ямало-Ненецкий автономный округ', 'Yamalo-Nenets Autonomous Okrug', 'Салехард', '349', '629', 0.4),
    RegionInfo('90', 'Запорожская область', 'Zaporozhye Oblast', 'Мелитополь', '', '272', 0.05),
    RegionInfo('91', 'Республика Крым', 'Republic of Crimea', 'Симферополь', '365', '295', 0.6),
    RegionInfo('92', 'Севастополь', 'Sevastopol', 'Севастополь', '869', '299', 0.3),
    RegionInfo('93', 'Донецкая Народная Республика', "Donetsk People's Republic", 'Донецк', '', '283', 0.1),
    RegionInfo('94', 'Луганская Народная Республика', "Luhansk People's Republic", 'Луганск', '', '291', 0.05),
    RegionInfo('95', 'Херсонская область', 'Kherson Oblast', 'Геническ', '', '275', 0.03),
)
# fmt: on

# (code, section, Russian name, English name): classes whose businesses buy connectivity,
# cloud and IT support from a B2B provider.
# fmt: off
OKVED: tuple[tuple[str, str, str, str], ...] = (
    ('01.11', 'A', 'Выращивание зерновых (кроме риса), зернобобовых культур и семян масличных культур', 'Growing of cereals (except rice), leguminous crops and oil seeds'),
    ('01.41', 'A', 'Разведение молочного крупного рогатого скота, производство сырого молока', 'Raising of dairy cattle, raw milk production'),
    ('01.47', 'A', 'Разведение сельскохозяйственной птицы', 'Raising of poultry'),
    ('02.20', 'A', 'Лесозаготовки', 'Logging'),
    ('05.10', 'B', 'Добыча и обогащение угля и антрацита', 'Mining and beneficiation of hard coal and anthracite'),
    ('06.10', 'B', 'Добыча нефти', 'Extraction of crude petroleum'),
    ('08.12', 'B', 'Разработка гравийных и песчаных карьеров, добыча глины и каолина', 'Operation of gravel and sand pits; mining of clays and kaolin'),
    ('10.11', 'C', 'Переработка и консервирование мяса', 'Processing and preserving of meat'),
    ('10.51', 'C', 'Производство молока (кроме сырого) и молочной продукции', 'Manufacture of dairy products'),
    ('10.71', 'C', 'Производство хлеба и мучных кондитерских изделий, тортов и пирожных недлительного хранения', 'Manufacture of bread; fresh pastry goods and cakes'),
    ('11.07', 'C', 'Производство безалкогольных напитков; производство упакованных питьевых вод', 'Manufacture of soft drinks; production of bottled waters'),
    ('16.10', 'C', 'Распиловка и строгание древесины', 'Sawmilling and planing of wood'),
    ('17.21', 'C', 'Производство гофрированной бумаги и картона, бумажной и картонной тары', 'Manufacture of corrugated paper and paperboard and of containers'),
    ('20.16', 'C', 'Производство пластмасс и синтетических смол в первичных формах', 'Manufacture of plastics in primary forms'),
    ('22.22', 'C', 'Производство пластмассовых изделий для упаковывания товаров', 'Manufacture of plastic packing goods'),
    ('23.61', 'C', 'Производство изделий из бетона для использования в строительстве', 'Manufacture of concrete products for construction purposes'),
    ('24.10', 'C', 'Производство чугуна, стали и ферросплавов', 'Manufacture of basic iron and steel and of ferro-alloys'),
    ('25.11', 'C', 'Производство строительных металлических конструкций, изделий и их частей', 'Manufacture of metal structures and parts of structures'),
    ('25.62', 'C', 'Обработка металлических изделий механическая', 'Machining'),
    ('26.20', 'C', 'Производство компьютеров и периферийного оборудования', 'Manufacture of computers and peripheral equipment'),
    ('27.12', 'C', 'Производство электрической распределительной и регулирующей аппаратуры', 'Manufacture of electricity distribution and control apparatus'),
    ('28.22', 'C', 'Производство подъемно-транспортного оборудования', 'Manufacture of lifting and handling equipment'),
    ('29.32', 'C', 'Производство прочих комплектующих и принадлежностей для автотранспортных средств', 'Manufacture of other parts and accessories for motor vehicles'),
    ('31.01', 'C', 'Производство мебели для офисов и предприятий торговли', 'Manufacture of office and shop furniture'),
    ('33.12', 'C', 'Ремонт машин и оборудования', 'Repair of machinery'),
    ('35.11', 'D', 'Производство электроэнергии', 'Production of electricity'),
    ('35.30', 'D', 'Производство, передача и распределение пара и горячей воды; кондиционирование воздуха', 'Steam and air conditioning supply'),
    ('36.00', 'E', 'Забор, очистка и распределение воды', 'Water collection, treatment and supply'),
    ('38.11', 'E', 'Сбор неопасных отходов', 'Collection of non-hazardous waste'),
    ('41.20', 'F', 'Строительство жилых и нежилых зданий', 'Construction of residential and non-residential buildings'),
    ('42.11', 'F', 'Строительство автомобильных дорог и автомагистралей', 'Construction of roads and motorways'),
    ('43.21', 'F', 'Производство электромонтажных работ', 'Electrical installation'),
    ('43.22', 'F', 'Производство санитарно-технических работ, монтаж отопительных систем и систем кондиционирования воздуха', 'Plumbing, heat and air-conditioning installation'),
    ('45.20', 'G', 'Техническое обслуживание и ремонт автотранспортных средств', 'Maintenance and repair of motor vehicles'),
    ('45.31', 'G', 'Торговля оптовая автомобильными деталями, узлами и принадлежностями', 'Wholesale trade of motor vehicle parts and accessories'),
    ('46.17', 'G', 'Деятельность агентов по оптовой торговле пищевыми продуктами, напитками и табачными изделиями', 'Agents involved in the sale of food, beverages and tobacco'),
    ('46.21', 'G', 'Торговля оптовая зерном, необработанным табаком, семенами и кормами для сельскохозяйственных животных', 'Wholesale of grain, unmanufactured tobacco, seeds and animal feeds'),
    ('46.39', 'G', 'Торговля оптовая неспециализированная пищевыми продуктами, напитками и табачными изделиями', 'Non-specialised wholesale of food, beverages and tobacco'),
    ('46.51', 'G', 'Торговля оптовая компьютерами, периферийными устройствами к компьютерам и программным обеспечением', 'Wholesale of computers, computer peripheral equipment and software'),
    ('46.69', 'G', 'Торговля оптовая прочими машинами и оборудованием', 'Wholesale of other machinery and equipment'),
    ('46.73', 'G', 'Торговля оптовая лесоматериалами, строительными материалами и санитарно-техническим оборудованием', 'Wholesale of wood, construction materials and sanitary equipment'),
    ('46.90', 'G', 'Торговля оптовая неспециализированная', 'Non-specialised wholesale trade'),
    ('47.11', 'G', 'Торговля розничная преимущественно пищевыми продуктами, включая напитки, и табачными изделиями в неспециализированных магазинах', 'Retail sale in non-specialised stores with food, beverages or tobacco predominating'),
    ('47.73', 'G', 'Торговля розничная лекарственными средствами в специализированных магазинах (аптеках)', 'Dispensing chemist in specialised stores'),
    ('49.31', 'H', 'Деятельность сухопутного пассажирского транспорта: перевозки пассажиров в городском и пригородном сообщении', 'Urban and suburban passenger land transport'),
    ('49.41', 'H', 'Деятельность автомобильного грузового транспорта', 'Freight transport by road'),
    ('52.10', 'H', 'Деятельность по складированию и хранению', 'Warehousing and storage'),
    ('52.29', 'H', 'Деятельность вспомогательная прочая, связанная с перевозками', 'Other transportation support activities'),
    ('53.20', 'H', 'Деятельность почтовой связи прочая и курьерская деятельность', 'Other postal and courier activities'),
    ('55.10', 'I', 'Деятельность гостиниц и прочих мест для временного проживания', 'Hotels and similar accommodation'),
    ('56.10', 'I', 'Деятельность ресторанов и услуги по доставке продуктов питания', 'Restaurants and mobile food service activities'),
    ('58.11', 'J', 'Издание книг', 'Book publishing'),
    ('61.10', 'J', 'Деятельность в области связи на базе проводных технологий', 'Wired telecommunications activities'),
    ('62.01', 'J', 'Разработка компьютерного программного обеспечения', 'Computer programming activities'),
    ('62.02', 'J', 'Деятельность консультативная и работы в области компьютерных технологий', 'Computer consultancy activities'),
    ('63.11', 'J', 'Деятельность по обработке данных, предоставление услуг по размещению информации и связанная с этим деятельность', 'Data processing, hosting and related activities'),
    ('64.19', 'K', 'Денежное посредничество прочее', 'Other monetary intermediation'),
    ('65.12', 'K', 'Страхование, кроме страхования жизни', 'Non-life insurance'),
    ('66.19', 'K', 'Деятельность вспомогательная прочая в сфере финансовых услуг, кроме страхования и пенсионного обеспечения', 'Other activities auxiliary to financial services'),
    ('68.20', 'L', 'Аренда и управление собственным или арендованным недвижимым имуществом', 'Renting and operating of own or leased real estate'),
    ('68.32', 'L', 'Управление недвижимым имуществом за вознаграждение или на договорной основе', 'Management of real estate on a fee or contract basis'),
    ('69.10', 'M', 'Деятельность в области права', 'Legal activities'),
    ('69.20', 'M', 'Деятельность по оказанию услуг в области бухгалтерского учета, по проведению финансового аудита, по налоговому консультированию', 'Accounting, bookkeeping and auditing activities; tax consultancy'),
    ('70.22', 'M', 'Консультирование по вопросам коммерческой деятельности и управления', 'Business and other management consultancy activities'),
    ('71.12', 'M', 'Деятельность в области инженерных изысканий, инженерно-технического проектирования', 'Engineering activities and related technical consultancy'),
    ('73.11', 'M', 'Деятельность рекламных агентств', 'Advertising agencies'),
    ('77.11', 'N', 'Аренда и лизинг легковых автомобилей и легких автотранспортных средств', 'Renting and leasing of cars and light motor vehicles'),
    ('78.10', 'N', 'Деятельность агентств по подбору персонала', 'Activities of employment placement agencies'),
    ('80.10', 'N', 'Деятельность частных охранных служб', 'Private security activities'),
    ('81.21', 'N', 'Деятельность по общей уборке зданий', 'General cleaning of buildings'),
    ('82.99', 'N', 'Деятельность по предоставлению прочих вспомогательных услуг для бизнеса, не включенная в другие группировки', 'Other business support service activities n.e.c.'),
    ('84.11', 'O', 'Деятельность органов государственного управления и местного самоуправления по вопросам общего характера', 'General public administration activities'),
    ('85.22', 'P', 'Образование высшее', 'Higher education'),
    ('85.41', 'P', 'Образование дополнительное детей и взрослых', 'Additional education for children and adults'),
    ('86.10', 'Q', 'Деятельность больничных организаций', 'Hospital activities'),
    ('86.21', 'Q', 'Общая врачебная практика', 'General medical practice activities'),
    ('86.23', 'Q', 'Стоматологическая практика', 'Dental practice activities'),
    ('90.04', 'R', 'Деятельность учреждений культуры и искусства', 'Operation of arts facilities'),
    ('93.11', 'R', 'Деятельность спортивных объектов', 'Operation of sports facilities'),
    ('95.11', 'S', 'Ремонт компьютеров и периферийного компьютерного оборудования', 'Repair of computers and peripheral equipment'),
    ('96.01', 'S', 'Стирка и химическая чистка текстильных и меховых изделий', 'Washing and dry-cleaning of textile and fur products'),
)
# fmt: on


class OfferingInfo(NamedTuple):
    code: str
    name: str
    name_en: str
    monthly: bool  # billed every month (a subscription) or once (a project)
    margin: float  # typical gross margin, for demo costs


# fmt: off
OFFERINGS: tuple[OfferingInfo, ...] = (
    OfferingInfo('internet', 'Корпоративный доступ в интернет', 'Corporate internet access', True, 0.55),
    OfferingInfo('vpn', 'Виртуальная частная сеть (L2/L3 VPN)', 'Virtual private network (L2/L3 VPN)', True, 0.5),
    OfferingInfo('voice', 'IP-телефония и виртуальная АТС', 'IP telephony and virtual PBX', True, 0.45),
    OfferingInfo('iaas', 'Облачная инфраструктура (IaaS)', 'Cloud infrastructure (IaaS)', True, 0.35),
    OfferingInfo('colocation', 'Размещение оборудования в ЦОД', 'Data centre colocation', True, 0.3),
    OfferingInfo('backup', 'Резервное копирование в облако', 'Cloud backup', True, 0.5),
    OfferingInfo('mail', 'Корпоративная почта и облачный офис', 'Corporate mail and cloud office', True, 0.4),
    OfferingInfo('support', 'Техническая поддержка 24/7 по SLA', '24/7 technical support under SLA', True, 0.35),
    OfferingInfo('outsourcing', 'ИТ-аутсорсинг', 'IT outsourcing', True, 0.25),
    OfferingInfo('ddos', 'Защита от DDoS-атак', 'DDoS protection', True, 0.6),
    OfferingInfo('video', 'Облачное видеонаблюдение', 'Cloud video surveillance', True, 0.45),
    OfferingInfo('iot', 'M2M/IoT-подключения', 'M2M/IoT connectivity', True, 0.5),
    OfferingInfo('cabling', 'Проектирование и монтаж СКС', 'Structured cabling design and installation', False, 0.2),
)
# fmt: on

TAGS: tuple[str, ...] = (
    "Ключевой клиент",
    "Госзаказчик",
    "Тендер",
    "Партнёр",
    "Риск оттока",
    "Федеральная сеть",
    "Пилотный проект",
    "Особые условия оплаты",
)

CONSENT_VERSION = "1"
CONSENT_EFFECTIVE_FROM = datetime.date(2024, 1, 1)
_OPERATOR = "оператор (поставщик услуг, с которым заключён договор)"
CONSENT_TEXTS: dict[str, str] = {
    ConsentPurpose.SERVICE: (
        "В соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных» "
        f"я даю согласие на обработку моих персональных данных ({_OPERATOR}): фамилии, имени, "
        "отчества, должности, номеров телефонов и адреса электронной почты — в целях исполнения "
        "договора, заключённого с организацией, которую я представляю, в том числе для приёма "
        "и исполнения заявок, уведомлений о работах и авариях и расчётов. Согласие действует "
        "до окончания срока действия договора и может быть отозвано письменным заявлением."
    ),
    ConsentPurpose.MARKETING: (
        "В соответствии с Федеральным законом № 152-ФЗ «О персональных данных» и статьёй 18 "
        "Федерального закона № 38-ФЗ «О рекламе» я даю согласие на получение информационных и "
        "рекламных сообщений о продуктах, услугах и мероприятиях оператора по телефону, "
        "электронной почте и SMS. Согласие действует до его отзыва; отозвать его можно в любой "
        "момент, ответив на сообщение, в личном кабинете или письменным заявлением."
    ),
    ConsentPurpose.SURVEYS: (
        "Я даю согласие на обработку моих фамилии, имени, отчества, должности и контактных "
        "данных в целях проведения опросов об удовлетворённости качеством обслуживания и "
        "улучшения услуг оператора. Ответы могут обрабатываться в обобщённом виде. Согласие "
        "действует три года и может быть отозвано в любой момент."
    ),
    ConsentPurpose.ANALYTICS: (
        "Я даю согласие на обработку сведений о моём взаимодействии с оператором (обращения, "
        "использование личного кабинета, участие в мероприятиях) в целях статистического "
        "анализа и подбора предложений, в том числе с использованием средств автоматизации. "
        "Решения, порождающие юридические последствия, на основании исключительно "
        "автоматизированной обработки не принимаются. Согласие может быть отозвано в любой момент."
    ),
}


def _upsert(
    model: type[models.Model], key: str, rows: Sequence[dict[str, Any]], *, update: bool = True
) -> int:
    """Creates missing rows and brings changed ones up to date; returns how many changed."""
    existing = {
        getattr(o, key): o
        for o in model._default_manager.filter(**{f"{key}__in": [r[key] for r in rows]})
    }
    new = [model(**r) for r in rows if r[key] not in existing]
    changed = []
    if update:
        for row in rows:
            obj = existing.get(row[key])
            if obj is not None and any(getattr(obj, f) != v for f, v in row.items()):
                for f, v in row.items():
                    setattr(obj, f, v)
                changed.append(obj)
    model._default_manager.bulk_create(new)
    if changed:
        fields = [f for f in rows[0] if f != key]
        model._default_manager.bulk_update(changed, fields)
    return len(new) + len(changed)


@transaction.atomic
def ensure_reference_data() -> dict[str, int]:
    """Loads or refreshes the reference tables; returns how many rows each one gained or changed.

    Consent texts are only ever added: a wording someone agreed to must not change under them.
    """
    counts = {
        "industries": _upsert(
            Industry,
            "code",
            [{"code": c, "section": s, "name": n, "name_en": e} for c, s, n, e in OKVED],
        ),
        "regions": _upsert(
            Region,
            "code",
            [{"code": r.code, "name": r.name, "name_en": r.name_en} for r in REGIONS],
        ),
        "offerings": _upsert(
            Offering,
            "code",
            [{"code": o.code, "name": o.name, "name_en": o.name_en} for o in OFFERINGS],
        ),
        "tags": _upsert(Tag, "name", [{"name": t} for t in TAGS], update=False),
    }
    present = set(
        ConsentText.objects.filter(version=CONSENT_VERSION, language="ru").values_list(
            "purpose", flat=True
        )
    )
    texts = [
        ConsentText(
            purpose=purpose,
            version=CONSENT_VERSION,
            language="ru",
            text=text,
            effective_from=CONSENT_EFFECTIVE_FROM,
        )
        for purpose, text in CONSENT_TEXTS.items()
        if purpose not in present
    ]
    ConsentText.objects.bulk_create(texts)
    counts["consent_texts"] = len(texts)
    if any(counts.values()):
        audit.record(actor=None, action="clients.reference_loaded", changes=counts)
    return counts
